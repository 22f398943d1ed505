/**
 * The inference worker never keeps a process alive, and never makes it crash on the way out:
 * - a script that awaits a model run gets its result (the worker is ref'd while a request is
 *   pending) and then exits by itself with its sessions still loaded (the idle worker is unref'd);
 * - process.exit() after `inferenceIdle()` exits with the code asked for, even when a run was in
 *   flight; without that wait the same exit aborts the process (onnxruntime-node cannot be
 *   interrupted inside a native run), which is why the CLI waits.
 * Each case is a child process (node + tsx) on the real model.
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { MODELS } from '../helpers/paths.js';

const SESSION = fileURLToPath(new URL('../../src/models/session.ts', import.meta.url));
const IDLE = fileURLToPath(new URL('../../src/models/inference-idle.ts', import.meta.url));
const FILE = `${MODELS}/efficientnet-lite2-imagenet/image.onnx`;
const REPO = fileURLToPath(new URL('../..', import.meta.url));

function child(body: string): Promise<{ code: number | null; signal: string | null; stdout: string; stderr: string }> {
  const code = `import { ModelSession, ort } from ${JSON.stringify(SESSION)};
import { inferenceIdle } from ${JSON.stringify(IDLE)};
const s = new ModelSession(${JSON.stringify(FILE)}, { name: 'exit-test', modelId: 'efficientnet-lite2-imagenet', device: 'cpu', intraOpThreads: 2 });
const batch = (n) => new ort.Tensor('float32', new Float32Array(n * 3 * 260 * 260).fill(0.5), [n, 3, 260, 260]);
void inferenceIdle;
${body}`;
  return new Promise((resolve) => {
    // through sh for `ulimit -c 0`: the abort case must not leave a core file behind; cwd: tsx from this repo
    const args = ['-c', 'ulimit -c 0; exec "$0" "$@"', process.execPath, '--import', 'tsx', '--input-type=module', '-e', code];
    execFile('/bin/sh', args, { timeout: 60_000, cwd: REPO }, (err, stdout, stderr) => {
      const e = err as (NodeJS.ErrnoException & { code?: number | string; signal?: string }) | null;
      resolve({ code: e ? (typeof e.code === 'number' ? e.code : null) : 0, signal: e?.signal ?? null, stdout, stderr });
    });
  });
}

describe('inference worker and process exit', () => {
  it('a script awaiting a run gets its result, then exits by itself with the session still loaded', async () => {
    const r = await child(`const out = await s.run({ pixel_values: batch(2) });
console.log('dims', out.logits.dims.join('x'), s.state);`);
    expect(r.stderr).toBe('');
    expect(r.stdout.trim()).toBe('dims 2x1000 loaded');
    expect(r).toMatchObject({ code: 0, signal: null });
  });

  it('process.exit() after inferenceIdle() exits with its code while a run was in flight', async () => {
    const r = await child(`await s.load();
s.run({ pixel_values: batch(32) }).then(() => console.log('run finished'));
await new Promise((r) => setTimeout(r, 100));
await inferenceIdle();
process.exit(3);`);
    expect(r).toMatchObject({ code: 3, signal: null });
    expect(r.stdout.trim()).toBe('run finished');
  });

  it('(why the CLI waits) the same exit without inferenceIdle() aborts the process', async () => {
    const r = await child(`await s.load();
void s.run({ pixel_values: batch(32) });
await new Promise((r) => setTimeout(r, 100));
process.exit(3);`);
    expect(r.code).not.toBe(3);
    expect(r.signal).toBe('SIGABRT');
  });
});
