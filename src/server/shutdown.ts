/**
 * The end of a server's life, bounded: its parts closed one by one in the reverse order of
 * building, within one shared budget, so that a part which never finishes closing (a stuck model
 * run, a media fetch that never ends, a peer that never answers) is named and left behind instead of
 * keeping the process from exiting — a pod stuck in Terminating until SIGKILL.
 */

/** The least time each part gets to close, even after the shared shutdown budget is spent (ms). */
export const CLOSER_FLOOR_MS = 1_000;

export type Closer = { name: string; close: () => Promise<void> | void };

/** What the shutdown says (a pino logger is one). */
export interface ShutdownLog {
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

/** Where a shutdown is (`step`: the part being closed, a sub-part may refine it) and what it left behind. */
export interface Shutdown {
  step: string | undefined;
  overruns: string[];
}

/**
 * Each part in the reverse order of building, within one shared budget. A part that fails is logged
 * and the next closed all the same; one that overruns is named in the log and in `overruns`, and the
 * next closed without it (CI's fresh machine saw a server's close wait past 90 s in `services` twice,
 * stops 39 and 44: a shutdown must end whatever one part does).
 */
export async function closeAll(closers: Closer[], shutdown: Shutdown, budgetMs: number, logger: ShutdownLog, floorMs = CLOSER_FLOOR_MS): Promise<void> {
  const deadline = performance.now() + budgetMs;
  for (const c of closers.splice(0).reverse()) {
    shutdown.step = c.name;
    const boundMs = Math.max(floorMs, deadline - performance.now());
    let timer: NodeJS.Timeout | undefined;
    const over = new Promise<'over'>((r) => (timer = setTimeout(() => r('over'), boundMs)));
    const outcome = await Promise.race([
      Promise.resolve()
        .then(c.close)
        .then(
          () => 'done' as const,
          (e: unknown) => {
            logger.warn({ err: e, part: c.name }, 'shutdown: closing a part failed; closing the rest');
            return 'done' as const;
          },
        ),
      over,
    ]);
    clearTimeout(timer);
    if (outcome === 'over') {
      const where = shutdown.step ?? c.name;
      shutdown.overruns.push(where);
      logger.error({ part: where, waited_ms: Math.round(boundMs) }, 'shutdown: a part had not closed in its time; closing the rest without it');
    }
  }
  shutdown.step = undefined;
}
