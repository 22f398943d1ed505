/**
 * One access-log line per request (method, path, status, bytes, time), from `vlrerank serve` as
 * users run it, on each way a request can take: the streaming proxy, the search interception and
 * vlrerank's own endpoints. Access lines are buffered (http/access-log.ts): a stopped server must
 * still have written every one of them.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { useEngine } from '../../helpers/engines.js';
import { listeningUrl } from '../../helpers/listening.js';
import { REPO_ROOT } from '../../helpers/paths.js';

const INDEX = 'vlr-it-access-log';
let upstream: string;

beforeAll(async () => {
  upstream = await useEngine('elasticsearch');
  await fetch(`${upstream}/${INDEX}`, { method: 'DELETE' });
  await fetch(`${upstream}/${INDEX}/_doc/1?refresh=true`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ title: 'quick fox' }) });
});
afterAll(async () => {
  await fetch(`${upstream}/${INDEX}`, { method: 'DELETE' });
});

it('writes one line per request with method, path, status, bytes and time, all of them by the time it stops', async () => {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'serve', '--port', '0', '--host', '127.0.0.1', '--upstream', upstream], {
    cwd: REPO_ROOT,
    stdio: ['ignore', 'pipe', 'inherit'],
    // no pipelines: nothing to warm up, every search is a plain one
    env: { ...process.env, VLRERANK_LOG_LEVEL: 'info', VLRERANK_PIPELINES_DIR: mkdtempSync(join(tmpdir(), 'vlr-no-pipelines-')), VLRERANK_STORE_DISK_PATH: 'off' },
  });
  let out = '';
  child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
  const exited = new Promise<number | null>((r) => child.once('exit', r));
  const url = await listeningUrl(child);

  const requests: Array<[string, string, string | undefined, number]> = [
    ['GET', `/${INDEX}/_doc/1`, undefined, 200], // streaming proxy
    ['POST', `/${INDEX}/_search`, JSON.stringify({ query: { match: { title: 'fox' } } }), 200], // search interception, plain
    ['GET', '/no-such-index-vlr/_search?q=x', undefined, 404], // the engine's own error, passed through
    ['GET', '/_vlrerank/health', undefined, 200], // vlrerank's own endpoint
  ];
  const sizes: number[] = [];
  for (const [method, path, body, status] of requests) {
    // identity: the logged bytes are the bytes sent, and fetch would hand back a gzip body decoded
    const r = await fetch(url + path, { method, body, headers: { 'accept-encoding': 'identity', ...(body ? { 'content-type': 'application/json' } : {}) } });
    expect(r.status).toBe(status);
    sizes.push((await r.arrayBuffer()).byteLength);
  }
  child.kill('SIGTERM');
  expect(await exited).toBe(0);

  const lines = out
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as { msg: string; access?: Record<string, unknown> })
    .filter((l) => l.msg === 'access');
  expect(lines.map((l) => [l.access!.method, l.access!.path, l.access!.status])).toEqual(requests.map(([m, p, , s]) => [m, p, s]));
  lines.forEach((l, i) => {
    expect(l.access!.bytes).toBe(sizes[i]);
    expect(l.access!.ms).toEqual(expect.any(Number));
  });
  expect(lines.map((l) => l.access!.route)).toEqual(['proxy', 'search', 'search', 'admin']);
});
