/**
 * Ctrl-C during a long run: instead of dying silently, the command says where the run can be
 * resumed (its last checkpoint and the command that continues it), then exits 130 as a shell
 * expects of an interrupted program.
 *
 * @module
 */

/**
 * Installs a SIGINT (and SIGTERM) handler that prints a note and exits 130.
 * @param note The text to print, computed when the signal comes (e.g. "the last checkpoint, at
 *   120,000 frames, resumes with: deno task fig4 --resume --out out/fig4").
 * @returns A function that removes the handler (call it when the run is over).
 */
export function onInterrupt(note: () => string): () => void {
  const handler = () => {
    try {
      console.error(`\ninterrupted: ${note()}`);
    } finally {
      Deno.exit(130);
    }
  };
  const signals: Deno.Signal[] = ["SIGINT", "SIGTERM"];
  for (const s of signals) Deno.addSignalListener(s, handler);
  return () => {
    for (const s of signals) Deno.removeSignalListener(s, handler);
  };
}
