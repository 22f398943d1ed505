// A server's shutdown ends whatever one part does (src/server/shutdown.ts): the parts are closed in
// the reverse order of building; a part that never finishes closing (the fault: a close promise that
// never settles) is named and left behind, a part whose close throws is logged, and every other part
// is still closed. CI's fresh machine saw a close wait past 90 s twice (stops 39, 44).
import { describe, expect, it } from 'vitest';
import { closeAll, type Closer, type Shutdown } from '../../../src/server/shutdown.js';

function recordingLogger() {
  const lines: Array<{ level: string; obj: Record<string, unknown>; msg: string }> = [];
  return {
    lines,
    warn: (obj: Record<string, unknown>, msg: string) => void lines.push({ level: 'warn', obj, msg }),
    error: (obj: Record<string, unknown>, msg: string) => void lines.push({ level: 'error', obj, msg }),
  };
}

describe('the bounded shutdown', () => {
  it('closes every part in reverse order; one that never finishes is named and left behind, one that throws is logged', async () => {
    const closed: string[] = [];
    const closers: Closer[] = [
      { name: 'access-log', close: () => void closed.push('access-log') },
      { name: 'models', close: () => new Promise<void>(() => {}) }, // never settles
      { name: 'feature-store', close: async () => void closed.push('feature-store') },
      {
        name: 'write-back',
        close: async () => {
          closed.push('write-back');
          throw new Error('the engine went away');
        },
      },
    ];
    const shutdown: Shutdown = { step: undefined, overruns: [] };
    const logger = recordingLogger();
    await closeAll(closers, shutdown, 50, logger, 20);
    expect(closed).toEqual(['write-back', 'feature-store', 'access-log']);
    expect(shutdown.overruns).toEqual(['models']);
    expect(shutdown.step).toBeUndefined();
    expect(logger.lines.find((l) => l.level === 'error')?.obj).toMatchObject({ part: 'models' });
    expect(logger.lines.find((l) => l.level === 'warn')?.obj).toMatchObject({ part: 'write-back' });
    expect(closers).toEqual([]); // a second close has nothing left to close
  });

  it('names the sub-part a part was in when it overran', async () => {
    const shutdown: Shutdown = { step: undefined, overruns: [] };
    const closers: Closer[] = [
      {
        name: 'rerank',
        close: async () => {
          shutdown.step = 'rerank:media-source';
          await new Promise<void>(() => {});
        },
      },
    ];
    await closeAll(closers, shutdown, 10, recordingLogger(), 10);
    expect(shutdown.overruns).toEqual(['rerank:media-source']);
  });

  it('a part after a slow one still gets its floor once the shared budget is spent', async () => {
    const shutdown: Shutdown = { step: undefined, overruns: [] };
    let lateClosed = false;
    const closers: Closer[] = [
      // closed last: it takes 30 ms, after the budget is gone, within its 200 ms floor
      { name: 'late', close: () => new Promise<void>((r) => setTimeout(() => ((lateClosed = true), r()), 30)) },
      { name: 'slow', close: () => new Promise<void>((r) => setTimeout(r, 80)) },
    ];
    await closeAll(closers, shutdown, 20, recordingLogger(), 200);
    expect(lateClosed).toBe(true);
    expect(shutdown.overruns).toEqual([]);
  });
});
