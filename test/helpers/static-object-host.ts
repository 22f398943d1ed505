/**
 * Test helper: a real static file server (Python's `http.server`) playing an object store that
 * serves presigned URLs — it ignores the query string (as S3 serves one object under any valid
 * signature), sends `Last-Modified` and answers `If-Modified-Since` with 304. Each GET it answers
 * is counted by path and status from its own access log, so a test can tell a full download
 * (200) from a revalidation (304).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, mkdtempSync, rmSync, utimesSync } from 'node:fs';
import { expect } from 'vitest';
import { LIBFAKETIME } from './faketime.js';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface StaticObjectHost {
  url: string;
  /** The folder it serves: put objects here. */
  dir: string;
  /** GETs answered so far for a path (query string dropped) with a status. */
  count(path: string, status: number): number;
  /** Put `file` in the store as `name`, with a Last-Modified of its own (`at`, seconds). */
  put(file: string, name: string, at: number): void;
  stop(): Promise<void>;
}

/** `clock`: the host's clock off by a libfaketime offset (`+1d`): its `Date` headers, not the objects' stamps. */
export async function startStaticObjectHost(o: { clock?: string } = {}): Promise<StaticObjectHost> {
  const dir = mkdtempSync(join(tmpdir(), 'vlr-objects-'));
  if (o.clock && !LIBFAKETIME) throw new Error('libfaketime is missing: apt-get install -y faketime');
  const env = o.clock ? { ...process.env, LD_PRELOAD: LIBFAKETIME, FAKETIME: o.clock, FAKETIME_DONT_FAKE_MONOTONIC: '1' } : process.env;
  const child: ChildProcess = spawn('python3', ['-u', '-m', 'http.server', '--bind', '127.0.0.1', '--directory', dir, '0'], { stdio: ['ignore', 'pipe', 'pipe'], env });
  const lines: string[] = [];
  child.stderr!.setEncoding('utf8').on('data', (d: string) => lines.push(...d.split('\n')));
  const url = await new Promise<string>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`http.server exited (${code})`)));
    child.stdout!.setEncoding('utf8').on('data', (d: string) => {
      const m = /port (\d+)/.exec(d);
      if (m) resolve(`http://127.0.0.1:${m[1]}`);
    });
  });
  return {
    url,
    dir,
    put(file, name, at) {
      copyFileSync(file, join(dir, name));
      utimesSync(join(dir, name), at, at);
    },
    count: (path, status) => lines.filter((l) => new RegExp(`"GET ${path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(\\?[^ ]*)? HTTP/1\\.1" ${status} `).test(l)).length,
    async stop() {
      if (child.exitCode === null) {
        const gone = new Promise((r) => child.once('exit', r));
        child.kill();
        await gone;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The score `/v1/rerank` on `serverUrl` gives one document with `doc`'s media (a photo or clip URL), asserting it was read (no warning). */
export async function scoreMedia(serverUrl: string, doc: Record<string, string>): Promise<number> {
  const r = await fetch(`${serverUrl}/v1/rerank`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: 'an animal', documents: [{ text: 'a picture', ...doc }] }) });
  const b = (await r.json()) as { results: Array<{ relevance_score: number }>; meta: { warnings?: string[] } };
  expect(r.status).toBe(200);
  expect(b.meta.warnings, JSON.stringify(b.meta.warnings)).toBeUndefined();
  return b.results[0]!.relevance_score;
}
