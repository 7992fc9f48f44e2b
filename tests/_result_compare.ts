/**
 * Compares nested gradient results (objects of row arrays, as printed by `deno task grad`):
 * the relative max-abs error max|a-b| / max|b| of every matrix or vector, by path.
 */

/**
 * @param actual The computed result.
 * @param expected The reference, whose shape is walked.
 * @returns Relative error per path, e.g. "bptt.layers[0].backward.w_rec".
 * @throws {Error} When `actual` lacks a part that `expected` has.
 */
export function compareNested(actual: unknown, expected: unknown, path = ""): Map<string, number> {
  const out = new Map<string, number>();
  const walk = (a: unknown, b: unknown, p: string) => {
    if (Array.isArray(b) && (typeof b[0] === "number" || Array.isArray(b[0]))) {
      if (!Array.isArray(a)) throw new Error(`${p} is missing from the result`);
      const fa = (a as unknown[]).flat(2) as number[], fb = (b as unknown[]).flat(2) as number[];
      if (fa.length !== fb.length) {
        throw new Error(`${p}: ${fa.length} values, expected ${fb.length}`);
      }
      let diff = 0, scale = 0;
      fb.forEach((v, i) => {
        diff = Math.max(diff, Math.abs(fa[i] - v));
        scale = Math.max(scale, Math.abs(v));
      });
      out.set(p, scale === 0 ? diff : diff / scale);
    } else if (Array.isArray(b)) {
      b.forEach((x, i) => walk((a as unknown[])?.[i], x, `${p}[${i}]`));
    } else if (typeof b === "object" && b !== null) {
      if (typeof a !== "object" || a === null) throw new Error(`${p} is missing from the result`);
      for (const [k, v] of Object.entries(b)) {
        walk((a as Record<string, unknown>)[k], v, p ? `${p}.${k}` : k);
      }
    }
  };
  walk(actual, expected, path);
  return out;
}
