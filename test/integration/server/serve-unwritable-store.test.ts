/**
 * A disk tier folder that exists but that the process may not write (root-owned, the server running
 * as `nobody`, as a pod whose volume was not given an fsGroup) is named, with what to do (held-out
 * probe round 14b: lmdb's "Permission denied: Attempting to setup locks", naming no path): health's
 * `failed` reason and the start log say the folder, the user, and VLRERANK_CACHE_DIR; the service
 * reranks as before (200, without the disk tier). Real CLI (tsx), real models, `setpriv` to nobody.
 * Needs root (to own the folder and change user) and setpriv (util-linux), and nobody able to read
 * the checkout and the models: skipped, saying which, otherwise.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { listeningUrl } from '../../helpers/listening.js';
import { MODELS, REPO_ROOT } from '../../helpers/paths.js';

const NOBODY = ['--reuid=65534', '--regid=65534', '--clear-groups'];
function whyNot(): string | undefined {
  if (process.getuid?.() !== 0) return 'needs root (a root-owned folder, setpriv to nobody)';
  if (spawnSync('sh', ['-c', 'command -v setpriv']).status !== 0) return 'needs setpriv (util-linux)';
  const readable = spawnSync('setpriv', [...NOBODY, 'test', '-r', join(REPO_ROOT, 'package.json'), '-a', '-r', join(MODELS, 'bge-small-en-v1.5/model.int8.onnx')]);
  if (readable.status !== 0) return 'user nobody cannot read the checkout or the models';
  return undefined;
}
const skip = whyNot();
if (skip) console.warn(`serve-unwritable-store: skipped — ${skip}`);

const dir = mkdtempSync(join(tmpdir(), 'vlr-rostore-'));
let child: ChildProcess | undefined;
afterAll(() => {
  if (child && child.exitCode === null) child.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

it.skipIf(skip !== undefined)('a root-owned store folder under user nobody: failed, naming the folder and the remedy; reranks answer 200', { timeout: 300_000 }, async () => {
  chmodSync(dir, 0o755); // nobody may enter, not write
  const store = join(dir, 'features');
  mkdirSync(store, { mode: 0o755 });
  const env = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    TSX_DISABLE_CACHE: '1',
    VLRERANK_UPSTREAM: 'http://127.0.0.1:9',
    VLRERANK_HOST: '127.0.0.1',
    VLRERANK_PORT: '0',
    VLRERANK_MODELS_DIR: MODELS,
    VLRERANK_LOG_LEVEL: 'info',
    VLRERANK_STORE_DISK_PATH: store,
  };
  child = spawn('setpriv', [...NOBODY, process.execPath, '--import', 'tsx', 'src/cli/main.ts', 'serve'], { cwd: REPO_ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (out += c.toString()));
  const exited = new Promise<number | null>((r) => child!.once('exit', (code) => r(code)));
  const url = await listeningUrl(child, { timeoutMs: 120_000 });

  const named = new RegExp(`the folder ${store} is not writable by user 65534 \\(EACCES\\): .*chown.*VLRERANK_CACHE_DIR`);
  const health = (await (await fetch(`${url}/_vlrerank/health`)).json()) as { feature_store: { disk: { state: string; reason: string } } };
  expect(health.feature_store.disk, JSON.stringify(health.feature_store.disk)).toMatchObject({ path: store, state: 'failed', reason: expect.stringMatching(named) });
  const log = out.split('\n').find((l) => l.includes('disk feature store cannot be used'));
  expect(log, out.slice(-3000)).toMatch(named);

  const rr = await fetch(`${url}/v1/rerank`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: 'a cat', documents: ['a cat on a mat', 'a train at a station'] }) });
  expect(rr.status).toBe(200);
  expect(((await rr.json()) as { results: Array<{ index: number }> }).results[0]!.index).toBe(0);
  child.kill('SIGTERM');
  expect(await exited).toBe(0);
});
