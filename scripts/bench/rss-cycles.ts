/**
 * `npx tsx scripts/bench/rss-cycles.ts`: does onnxruntime's CPU memory arena (or its memory
 * pattern cache) make resident memory creep (held-out probe round 13d)? Each configuration runs in
 * its own child process, all at once (same machine load): it loads the image models in the
 * inference worker (EfficientNet-Lite2, batch dimension free; NanoDet, fixed 1×416²), runs
 * EfficientNet batches of every size 1..32 in a shuffled order with inputs over shared memory (as
 * input-pool.ts hands them), runs NanoDet, unloads both, and prints the process's VmRSS after each
 * load+runs and after each unload, and the time per image of the cycle's EfficientNet runs.
 *
 * Usage: npx tsx scripts/bench/rss-cycles.ts [--cycles N --threads T --configs default,arena-off,…]
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ModelSession, ort } from '../../src/models/session.js';
import { MODELS_DIR } from './features.js';
import { echoJsonLines } from './json-lines.js';

const arg = (name: string, dflt: string) => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1]! : dflt;
};
const CYCLES = Number(arg('--cycles', '8'));
const THREADS = Number(arg('--threads', '1'));
/** Session options, and the environment of the child (glibc malloc tunables are read at start). */
const MMAP = { MALLOC_MMAP_THRESHOLD_: String(128 * 1024) };
const CONFIGS: Record<string, { cpuMemArena?: boolean; memPattern?: boolean; env?: Record<string, string> }> = {
  default: {},
  'arena-off': { cpuMemArena: false },
  'pattern-off': { memPattern: false },
  'both-off': { cpuMemArena: false, memPattern: false },
  // a fixed mmap threshold turns off glibc's dynamic one (raised up to 32 MB by every freed mmapped chunk)
  'default+mmap': { env: MMAP },
  'arena-off+mmap': { cpuMemArena: false, env: MMAP },
};
const vmRssMb = () => Number(/VmRSS:\s+(\d+)/.exec(readFileSync('/proc/self/status', 'utf8'))![1]) / 1024;

function shared(n: number, seed: number): Float32Array {
  const a = new Float32Array(new SharedArrayBuffer(n * 4));
  let x = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    x = (x * 1664525 + 1013904223) >>> 0;
    a[i] = x / 2 ** 32 - 0.5;
  }
  return a;
}

async function child(name: string): Promise<void> {
  const { env: _env, ...cfg } = CONFIGS[name]!;
  const mk = (path: string, id: string) => new ModelSession(join(MODELS_DIR, path), { name: id, modelId: id, device: 'cpu', intraOpThreads: THREADS, ...cfg });
  const cls = mk('efficientnet-lite2-imagenet/image.onnx', 'efficientnet-lite2-imagenet');
  const det = mk('nanodet-g-coco/model.onnx', 'nanodet-g-coco');
  const px = 3 * 260 * 260;
  const big = shared(32 * px, 7);
  const detIn = shared(3 * 416 * 416, 9);
  const out: string[] = [];
  for (let c = 1; c <= CYCLES; c++) {
    const sizes = Array.from({ length: 32 }, (_, i) => i + 1);
    for (let i = sizes.length - 1; i > 0; i--) {
      const j = (c * 7919 + i * 104729) % (i + 1);
      [sizes[i], sizes[j]] = [sizes[j]!, sizes[i]!];
    }
    let ms = 0;
    let images = 0;
    for (const b of sizes) {
      const t0 = performance.now();
      await cls.run({ pixel_values: new ort.Tensor('float32', big.subarray(0, b * px), [b, 3, 260, 260]) });
      ms += performance.now() - t0;
      images += b;
    }
    for (let k = 0; k < 4; k++) await det.run({ image: new ort.Tensor('float32', detIn, [1, 3, 416, 416]) });
    const loaded = vmRssMb();
    await cls.unload();
    await det.unload();
    const unloaded = vmRssMb();
    out.push(JSON.stringify({ cfg: name, cycle: c, loadedMb: Math.round(loaded), unloadedMb: Math.round(unloaded), msPerImage: +(ms / images).toFixed(2) }));
    console.log(out[out.length - 1]);
  }
}

async function main(): Promise<void> {
  const names = arg('--configs', 'default,arena-off,pattern-off,both-off').split(',');
  const self = fileURLToPath(import.meta.url);
  const rows = new Map<string, Array<{ cycle: number; loadedMb: number; unloadedMb: number; msPerImage: number }>>();
  await Promise.all(
    names.map(
      (n) =>
        new Promise<void>((res, rej) => {
          const p = spawn(process.execPath, [...process.execArgv, self, '--child', n, '--cycles', String(CYCLES), '--threads', String(THREADS)], {
            stdio: ['ignore', 'pipe', 'inherit'],
            env: { ...process.env, ...CONFIGS[n]!.env },
          });
          echoJsonLines<{ cycle: number; loadedMb: number; unloadedMb: number; msPerImage: number }>(p.stdout, (r) => rows.set(n, [...(rows.get(n) ?? []), r]));
          p.on('exit', (code) => (code === 0 ? res() : rej(new Error(`${n} exited ${code}`))));
        }),
    ),
  );
  const base = rows.get('default') ?? [];
  const med = (a: number[]) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)]!;
  console.log('\nconfig        unloaded MB per cycle                       loaded MB first→last   ms/image median   ÷ default');
  for (const n of names) {
    const r = rows.get(n) ?? [];
    const m = med(r.map((x) => x.msPerImage));
    console.log(
      n.padEnd(13),
      r.map((x) => x.unloadedMb).join(' → ').padEnd(44),
      `${r[0]?.loadedMb} → ${r[r.length - 1]?.loadedMb}`.padEnd(22),
      String(m).padEnd(17),
      base.length ? (m / med(base.map((x) => x.msPerImage))).toFixed(3) : '',
    );
  }
}

const ci = process.argv.indexOf('--child');
if (ci >= 0) await child(process.argv[ci + 1]!);
else await main();
