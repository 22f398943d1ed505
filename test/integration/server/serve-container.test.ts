/**
 * `vlrerank serve` as Kubernetes runs it (held-out probe round 14b): PID 1 of its own PID
 * namespace (`unshare --pid`: Node as PID 1 has no default signal handlers, only its own), not root
 * (`setpriv` to nobody), on a read-only root file system (a private mount namespace with `/`
 * remounted read-only) with `HOME` and `TMPDIR` unset, configured by its environment alone; a
 * misspelt `VLRERANK_` variable in it. What it must do: start, name what it cannot write (the disk
 * tier `failed` naming its folder; the temporary folder in a start-up warning; the misspelt variable), answer
 * a video that needs a temporary file with a document error naming the folder (was "VLR_INTERNAL:
 * internal error", logged nowhere), reap its ffmpeg children, and on SIGTERM turn readiness 503 while
 * liveness stays 200 and it still accepts (VLRERANK_DRAIN_DELAY_MS), finish the reranks in flight,
 * exit 0. Real CLI (tsx), real Elasticsearch, real models, an ffmpeg-made clip. Needs root (to
 * unshare and mount) and `unshare`/`setpriv` (util-linux), and nobody able to read the checkout and
 * the models: skipped, saying which, otherwise.
 */
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { useEngine } from '../../helpers/engines.js';
import { listeningUrl } from '../../helpers/listening.js';
import { DATA, MODELS, REPO_ROOT } from '../../helpers/paths.js';

const NOBODY = ['--reuid=65534', '--regid=65534', '--clear-groups'];
function whyNot(): string | undefined {
  if (process.getuid?.() !== 0) return 'needs root (unshare --pid, mount)';
  for (const tool of ['unshare', 'setpriv', 'ffmpeg']) if (spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0) return `needs ${tool}`;
  // a container without CAP_SYS_ADMIN (Docker's default) cannot make the namespaces or remount
  if (spawnSync('unshare', ['--mount', '--pid', '--fork', '--mount-proc', '--propagation', 'private', 'sh', '-c', 'mount -o remount,bind,ro /']).status !== 0) return 'cannot unshare a PID and mount namespace and remount / read-only here';
  const readable = spawnSync('setpriv', [...NOBODY, 'test', '-r', join(REPO_ROOT, 'package.json'), '-a', '-r', join(MODELS, 'bge-small-en-v1.5/model.int8.onnx')]);
  if (readable.status !== 0) return 'user nobody cannot read the checkout or the models';
  return undefined;
}
const skip = whyNot();
if (skip) console.warn(`serve-container: skipped — ${skip}`);

let es: string;
let child: ChildProcess | undefined;
const dir = mkdtempSync(join(tmpdir(), 'vlr-pod-'));
beforeAll(async () => {
  if (!skip) es = await useEngine('elasticsearch');
}, 300_000);
let pod: number | undefined; // the server's host PID: unshare's --kill-child does not reach it (setpriv's change of user clears the parent-death signal)
afterAll(() => {
  if (pod !== undefined) {
    try {
      process.kill(pod, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  if (child && child.exitCode === null) child.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

/** The host PID of the pod's PID 1 (unshare --fork's one child) and that of each of its children. */
function childrenOf(pid: number): number[] {
  return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').split(/\s+/).filter(Boolean).map(Number);
}
const stateOf = (pid: number) => /State:\s+(\S)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];

it.skipIf(skip !== undefined)('PID 1, nobody, read-only root, env-only: clear warnings, named errors, no zombies, a drain readiness sees', { timeout: 300_000 }, async () => {
  const clip = join(dir, 'moov-last.mp4'); // ffmpeg puts the index after the data unless told +faststart
  execFileSync('ffmpeg', ['-loglevel', 'error', '-y', '-i', join(DATA, 'intel-sample-videos/clips/classroom.mp4'), '-t', '2', '-vf', 'scale=96:-2', '-an', clip]);
  const env = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    TSX_DISABLE_CACHE: '1', // tsx keeps its cache under the temporary folder, read-only here
    VLRERANK_UPSTREAM: es,
    VLRERANK_HOST: '127.0.0.1',
    VLRERANK_PORT: '0',
    VLRERANK_MODELS_DIR: MODELS,
    VLRERANK_LOG_LEVEL: 'info',
    VLRERANK_DRAIN_DELAY_MS: '4000',
    VLRERANK_CACHE_DIR: join(dir, 'cache'), // the disk tier's default folder under it: on the read-only root
    VLRERANK_STORE_PATH: '/data/features', // misspelt: VLRERANK_STORE_DISK_PATH
  };
  const vars = Object.entries(env).map(([k, v]) => `${k}=${v}`);
  const script = `mount -o remount,bind,ro / && cd "$1" && shift && exec setpriv ${NOBODY.join(' ')} env -i "$@"`;
  child = spawn('unshare', ['--mount', '--pid', '--fork', '--kill-child', '--mount-proc', '--propagation', 'private', 'sh', '-c', script, 'pod', REPO_ROOT, ...vars, process.execPath, '--import', 'tsx', 'src/cli/main.ts', 'serve'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (out += c.toString()));
  const exited = new Promise<number | null>((r) => child!.once('exit', (code) => r(code)));
  const url = await listeningUrl(child, { timeoutMs: 120_000 });
  const [node] = childrenOf(child.pid!);
  pod = node;
  expect(readFileSync(`/proc/${node}/status`, 'utf8')).toMatch(/NSpid:\s+\d+\s+1\n/); // PID 1 in its namespace
  for (let i = 0; i < 400 && !/temporary folder cannot take a file/.test(out); i++) await new Promise((r) => setTimeout(r, 25));
  // what it cannot write or read, said at start: the misspelt variable, the temporary folder, the disk tier
  expect(out).toContain('VLRERANK_STORE_PATH is not a vlrerank setting: it is ignored (did you mean VLRERANK_STORE_DISK_PATH?)');
  expect(out).toMatch(/"tmpdir":"\/tmp".*EROFS.*temporary folder cannot take a file/);
  const health = (await (await fetch(`${url}/_vlrerank/health`)).json()) as { feature_store: { disk: { state: string; reason: string } } };
  expect(health.feature_store.disk, JSON.stringify(health.feature_store.disk)).toMatchObject({ path: join(dir, 'cache/features'), state: 'failed', reason: expect.stringMatching(/EROFS|EACCES/) }); // EACCES: nobody may not write there either

  // ready first: a request during the warm-up waits at most rerank.admission.maxQueueWaitMs (10 s), which a
  // loaded machine's warm-up (the concept bank) can outlast — a 429 that is not what this test is about
  for (let i = 0; i < 1200 && (await fetch(`${url}/_vlrerank/health?ready`)).status !== 200; i++) await new Promise((r) => setTimeout(r, 100));
  // a video ffmpeg must seek in: a document error naming the folder, the others scored; no zombie left
  const video = readFileSync(clip).toString('base64');
  const rr = await fetch(`${url}/v1/rerank`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: 'a classroom', documents: [{ text: 'a clip', video }, 'a classroom with pupils'] }) });
  expect(rr.status).toBe(200);
  const body = (await rr.json()) as { results: unknown[]; errors: Array<{ index: number; code: string; reason: string }> };
  expect(body.results).toHaveLength(2);
  expect(body.errors).toEqual([expect.objectContaining({ index: 0, code: 'VLR_CONFIG_INVALID', reason: expect.stringMatching(/temporary folder \/tmp is not writable \(EROFS\).*TMPDIR/) })]);
  const faststart = join(dir, 'faststart.mp4'); // decoded from a pipe: ffmpeg runs, and is reaped
  execFileSync('ffmpeg', ['-loglevel', 'error', '-y', '-i', clip, '-c', 'copy', '-movflags', '+faststart', faststart]);
  const piped = await fetch(`${url}/v1/rerank`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: 'a classroom', documents: [{ text: 'a clip', video: readFileSync(faststart).toString('base64') }] }) });
  expect(((await piped.json()) as { usage: { video_frames: number } }).usage.video_frames).toBeGreaterThan(0);
  expect(childrenOf(node!).filter((pid) => stateOf(pid) === 'Z')).toEqual([]);

  // SIGTERM (as the kubelet sends it) with reranks in flight
  const docs = Array.from({ length: 48 }, (_, i) => `document ${i} about ${['cats', 'trains', 'rivers', 'bread'][i % 4]} and what they do on a long afternoon ${i}`);
  const inFlight = Array.from({ length: 3 }, (_, i) => fetch(`${url}/v1/rerank`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: `question ${i}`, documents: docs }) }).then((r) => r.status));
  await new Promise((r) => setTimeout(r, 200));
  process.kill(node!, 'SIGTERM');
  let ready = 0;
  for (let i = 0; i < 200 && ready !== 503; i++) ready = (await fetch(`${url}/_vlrerank/health?ready`)).status;
  expect(ready).toBe(503); // the balancer is told before the listener closes
  expect((await fetch(`${url}/_vlrerank/health?live`)).status).toBe(200); // and liveness does not restart it
  expect(await Promise.all(inFlight)).toEqual([200, 200, 200]);
  expect(await exited).toBe(0);
  expect(out).toContain('stopping: draining requests in flight');
});
