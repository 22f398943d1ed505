/**
 * How `vlrerank eval` ends a run early. The first Ctrl-C or SIGTERM stops it after the search in
 * flight (that one dropped) and the figures of every search done are written as asked (`--json`,
 * `--report`, the summary), marked partial; a second signal quits at once. A run stopped by a failed
 * search (the proxy or the engine gone, a query refused) keeps its figures the same way. Before,
 * either lost every search of the run (held-out eval probe round): a signal exited 130/143 with
 * nothing written, a failure exited 2 with nothing written.
 */
import { vlrError } from '../errors.js';
import { stopNote, type EvalStop } from '../eval/stop.js';
import { termSafe } from '../eval/terminal-text.js';

const EXIT: Record<string, number> = { SIGINT: 130, SIGTERM: 143 };

export function stopOnSignals(): { signal: AbortSignal; dispose: () => void } {
  const ac = new AbortController();
  const handlers = (['SIGINT', 'SIGTERM'] as const).map((name) => {
    const h = () => {
      if (ac.signal.aborted) process.exit(EXIT[name]);
      process.stderr.write(`\nvlrerank: ${name}: stopping; writing the figures of the searches done (${name} again quits at once)\n`);
      ac.abort(name);
    };
    process.on(name, h);
    return [name, h] as const;
  });
  return { signal: ac.signal, dispose: () => handlers.forEach(([name, h]) => process.removeListener(name, h)) };
}

/** The note of a stopped run, for the figures (none when the run ended normally). */
export const stopNotes = (s: EvalStop | undefined): string[] => (s ? [stopNote(s)] : []);

/**
 * After the figures are written: the exit a shell expects of an interrupted command (128 + the
 * signal), or the failure that stopped the run (thrown: exit 2, or 69 when the proxy or engine did not answer). `said` replaces the line printed for a
 * signal (by default the run's stop note, or that nothing was written when nothing was measured).
 */
export function finishStopped(s: EvalStop | undefined, measured: boolean, said?: string): void {
  if (!s) return;
  if (s.signal) {
    process.stderr.write(`vlrerank: ${termSafe(said ?? (measured ? stopNote(s) : `interrupted (${s.signal}) before any search was done: nothing written`))}\n`);
    process.exitCode = EXIT[s.signal] ?? 130;
    return;
  }
  throw s.error instanceof Error ? s.error : vlrError('VLR_BAD_REQUEST', s.reason);
}
