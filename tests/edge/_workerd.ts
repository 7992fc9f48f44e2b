// deno-lint-ignore-file no-import-prefix -- a full npm: specifier, as src/plot/render.ts: this helper is loaded only by the edge test, through a specifier built at run time.
/**
 * The workerd binary of the npm package `workerd` (its platform binary comes as an optional
 * dependency, e.g. `@cloudflare/workerd-linux-64`). Imported only by tests/edge/edge_test.ts,
 * and only when that test runs, so the normal suite never loads the package.
 *
 * @module
 */
import workerd from "npm:workerd@1.20261117.1";

/**
 * @returns The path of the workerd executable for this platform.
 * @throws {Error} From the package, when it has no binary for this platform.
 */
export function workerdBinary(): string {
  // The package is CommonJS: its `default` export is module.exports, whose `default` is the path.
  const exported = workerd as unknown as string | { default: string };
  return typeof exported === "string" ? exported : exported.default;
}
