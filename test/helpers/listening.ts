/**
 * The URL a spawned `vlrerank serve` listens on, from what it prints: the CLI's "listening on
 * http://…" line, or the JSON start-up log's "url" (when only the logger speaks). Shared by the
 * tests that run vlrerank as a process and by the benchmarks (scripts/bench/serve-process.ts).
 */
import type { ChildProcess } from 'node:child_process';

export function listeningUrl(child: ChildProcess, o: { timeoutMs?: number; what?: string } = {}): Promise<string> {
  const what = o.what ?? 'vlrerank serve';
  return new Promise<string>((resolve, reject) => {
    let buf = '';
    let timer: NodeJS.Timeout | undefined;
    const done = () => {
      clearTimeout(timer);
      child.stdout?.off('data', onData);
      child.stderr?.off('data', onData);
      child.off('exit', onExit);
    };
    const onData = (c: Buffer) => {
      buf += c.toString();
      const m = /listening on (http:\/\/[^\s"]+)/.exec(buf) ?? /"url":"(http:\/\/[^"]+)"/.exec(buf);
      if (m) {
        done();
        resolve(m[1]!);
      }
    };
    const onExit = (code: number | null) => {
      done();
      reject(new Error(`${what} exited ${code} before it listened: ${buf.slice(-2000)}`));
    };
    if (o.timeoutMs) timer = setTimeout(() => (done(), reject(new Error(`${what} did not start in ${o.timeoutMs} ms: ${buf.slice(-2000)}`))), o.timeoutMs);
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.on('exit', onExit);
  });
}
