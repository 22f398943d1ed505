/**
 * What a log shipper reading `vlrerank serve`'s stdout sees (held-out probe round 15d): every line
 * is JSON — the plain "vlrerank listening on …", "reranker warming up …" and "reranker ready in …"
 * lines were printed among the JSON lines (a shipper's parser failed on each; jq stopped at the
 * first) and are on stderr now — and a crash by an exception nothing catches leaves a JSON `fatal`
 * line naming it (Node's own report is a plain stack on stderr: the JSON log ended without a word).
 * The exception is played by a fault preloaded into the process (`--import` of a module that throws
 * on SIGUSR2), named after it; the models warm for real.
 */
import { afterAll, expect, it } from 'vitest';
import { killServed, serveLogged } from '../../helpers/serve-logged.js';

const UNCAUGHT_EXCEPTION_ON_SIGUSR2 = `data:text/javascript,process.on('SIGUSR2',()=>{throw new Error('p15d-uncaught-fault')})`;
afterAll(killServed);

/** `vlrerank serve` as a process, warmed, its stdout and stderr kept apart. */
async function serve() {
  const s = await serveLogged(['--upstream', 'http://127.0.0.1:9'], ['--import', UNCAUGHT_EXCEPTION_ON_SIGUSR2]);
  for (let i = 0; i < 2400 && !/reranker (ready|warm-up failed)/.test(s.err + s.out); i++) await new Promise((r) => setTimeout(r, 50));
  return s;
}

it('stdout is JSON lines only, the words for a person on stderr; an uncaught exception is a JSON fatal line before the exit', { timeout: 180_000 }, async () => {
  const srv = await serve();
  expect((await fetch(`${srv.url}/_vlrerank/health?live`)).status).toBe(200);

  srv.child.kill('SIGUSR2');
  expect(await srv.exited).not.toBe(0);
  const { out, err } = srv;
  const lines = out.split('\n').filter((l) => l !== '');
  const notJson = lines.filter((l) => {
    try {
      return typeof JSON.parse(l) !== 'object';
    } catch {
      return true;
    }
  });
  expect(notJson).toEqual([]);
  const logged = lines.map((l) => JSON.parse(l) as { level: number; msg: string; err?: { message?: string }; access?: { path: string } });
  expect(logged.some((l) => l.msg === 'vlrerank listening')).toBe(true);
  expect(logged.some((l) => l.access?.path === '/_vlrerank/health?live')).toBe(true);
  expect(err).toMatch(/vlrerank listening on http/);
  expect(err).toMatch(/reranker (ready in|warm-up failed)/);
  const fatal = logged.find((l) => l.level === 60);
  expect(fatal?.msg).toContain('uncaught exception');
  expect(fatal?.err?.message).toBe('p15d-uncaught-fault');
  expect(err).toContain('p15d-uncaught-fault'); // Node's own report, as before
});

it('a drain ends the JSON log with a stopped line (a shipper tells a drained exit from a killed one)', { timeout: 180_000 }, async () => {
  const srv = await serve();
  srv.child.kill('SIGTERM');
  expect(await srv.exited).toBe(0);
  const last = JSON.parse(srv.out.trim().split('\n').at(-1)!) as { msg: string; signal: string; exit_code: number };
  expect(last).toMatchObject({ msg: 'stopped: drained, exiting', signal: 'SIGTERM', exit_code: 0 });
});
