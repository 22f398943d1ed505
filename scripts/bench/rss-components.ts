/**
 * `npx tsx scripts/bench/rss-components.ts`: which component makes resident memory creep (the
 * soak's RSS, held-out probe round 13d; the image models' loop is rss-cycles.ts)? One mode per
 * component, each in a child process of its own that exercises only that component, cycle after
 * cycle, with inputs of varied sizes; after each cycle the child prints VmRSS, RssAnon and the JS
 * heap after a full GC. Each mode runs twice — glibc's defaults, then `MALLOC_MMAP_THRESHOLD_=131072` in the
 * child's environment — one child at a time (the machine is shared); `--envs …,jemalloc` adds a run
 * with jemalloc preloaded.
 *
 * Modes: text (bge-small int8 + its tokenizer, each text run alone as the manifest says: a new
 * sequence length per text), ocr (PP-OCRv4 det+cls+rec on grocery photos: the detector's input
 * follows each photo's size, the recognizer's the widest crop), sharp (decodeImage of photos
 * re-encoded at random sizes as JPEG/PNG/WebP), video (VideoDecoder.sampleFrames: ffmpeg in a child
 * process, frames piped back), json (the JSON worker parsing bodies of 0.2–24 MB), lmdb (DiskTier
 * with a 4 MiB budget, values of 1.6–70 KB, evicting), redis (RedisTier against its own
 * redis-server, maxmemory 8 MB), http (an undici Pool against a node:http server in the same
 * process, bodies of 0.1–16 MB each way, and searches on Elasticsearch :19200).
 *
 * Also: decode (what the server does with photos: decodeImage + a model's resize, inputs of random
 * sizes and formats made once), ocr-fixed (a fixed 480² detector input), ocr-nopattern (onnxruntime's
 * memory patterns off), text-unload and ocr-unload (the sessions unloaded after each cycle, as the
 * soak does every 7 min), and all (every component at once in one process, models unloaded every 4th cycle).
 *
 * Usage: npx tsx scripts/bench/rss-components.ts [--modes text,ocr,…,all --cycles N --envs default,mmap --rounds R]
 * (`--rounds`: the environments alternate R times, short children, for a fairer speed ratio)
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type IncomingMessage } from 'node:http';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { Pool, request } from 'undici';
import { modelsSchema } from '../../src/config/schema.js';
import { Models } from '../../src/models/index.js';
import { OcrEngine } from '../../src/models/encoders/ocr.js';
import { decodeImage, preprocessImage } from '../../src/features/media/image.js';
import type { ImagePreprocess } from '../../src/models/index.js';
import { VideoDecoder } from '../../src/features/media/video.js';
import { JsonWorker } from '../../src/util/json-worker.js';
import { DiskTier } from '../../src/features/store/disk-tier.js';
import { RedisTier } from '../../src/features/store/redis-tier.js';
import { MODELS_DIR } from './features.js';
import { echoJsonLines } from './json-lines.js';

const arg = (name: string, dflt: string) => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1]! : dflt;
};
const CYCLES = Number(arg('--cycles', '10'));
const DATA = resolve(process.env.VLRERANK_DATA_DIR ?? '../shared/data');
const ENVS: Record<string, Record<string, string>> = {
  default: {},
  mmap: { MALLOC_MMAP_THRESHOLD_: String(128 * 1024) },
  // another allocator instead (Debian's libjemalloc2), for comparison
  jemalloc: { LD_PRELOAD: '/usr/lib/x86_64-linux-gnu/libjemalloc.so.2' },
};

/** A small deterministic generator (every mode's sizes differ from cycle to cycle, the same from run to run). */
function rng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => ((x = (x * 1664525 + 1013904223) >>> 0) / 2 ** 32);
}
function status(): { rssMb: number; anonMb: number } {
  const s = readFileSync('/proc/self/status', 'utf8');
  const kb = (k: string) => Number(new RegExp(`${k}:\\s+(\\d+)`).exec(s)![1]);
  return { rssMb: Math.round(kb('VmRSS') / 1024), anonMb: Math.round(kb('RssAnon') / 1024) };
}
function files(dir: string, ext: RegExp, out: string[] = []): string[] {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) files(p, ext, out);
    else if (ext.test(e.name)) out.push(p);
  }
  return out.sort();
}

/** A mode: set up once, then one cycle's work (returns how many items it did); close at the end. */
type Mode = { cycle(c: number): Promise<number>; close(): Promise<void>; unload?(): Promise<void> };

async function textMode(): Promise<Mode> {
  const models = await Models.create(modelsSchema.parse({ dir: MODELS_DIR, intraOpThreads: 1, allowSpinning: false }));
  const te = await models.textEmbedder();
  const words = readFileSync(join(DATA, 'scifact-beir/corpus.jsonl'), 'utf8').split('\n').slice(0, 400).join(' ').split(/\s+/);
  return {
    async cycle(c) {
      const r = rng(c * 31 + 7);
      const texts = Array.from({ length: 40 }, () => {
        const at = Math.floor(r() * (words.length - 600));
        return words.slice(at, at + 3 + Math.floor(r() ** 2 * 380)).join(' ');
      });
      await te.embed(texts, { kind: 'passage' });
      return texts.length;
    },
    unload: async () => void (await models.unload(te.id)),
    close: () => models.close(),
  };
}

async function ocrMode(fixedSide = 0, memPattern = true): Promise<Mode> {
  const models = await Models.create(modelsSchema.parse({ dir: MODELS_DIR, intraOpThreads: 1, allowSpinning: false }));
  const ocr = await OcrEngine.create({ registry: models.registry, batch: { maxBatchSize: 8, maxWaitMs: 2, maxQueue: 64 } }, 'ppocr-v4-ch');
  // onnxruntime's memory patterns are planned and cached per input shape (bench only: set before the sessions load)
  if (!memPattern) for (const s of ocr.sessions) Object.assign(s.options, { memPattern: false });
  const photos = files(join(DATA, 'grocery-store-products/queries'), /\.jpg$/i);
  return {
    async cycle(c) {
      const r = rng(c * 13 + 1);
      for (let k = 0; k < 5; k++) {
        // varied sizes: each photo scaled by 0.4–1.6 before OCR (the detector's input follows it)
        const img = await decodeImage(readFileSync(photos[Math.floor(r() * photos.length)]!));
        const scale = 0.4 + r() * 1.2;
        const { data, info } = await sharp(img.data, { raw: { width: img.width, height: img.height, channels: 3 } })
          .resize(fixedSide || Math.round(img.width * scale), fixedSide || undefined, { fit: 'fill' })
          .raw()
          .toBuffer({ resolveWithObject: true });
        await ocr.recognize({ data, width: info.width, height: info.height });
      }
      return 5;
    },
    unload: async () => {
      for (const s of ocr.sessions) await s.unload();
    },
    close: () => models.close(),
  };
}

async function sharpMode(): Promise<Mode> {
  const photos = [...files(join(DATA, 'coco-captions-mini/images'), /\.jpe?g$/i), ...files(join(DATA, 'grocery-store-products/queries'), /\.jpg$/i)];
  return {
    async cycle(c) {
      const r = rng(c * 17 + 3);
      for (let k = 0; k < 24; k++) {
        const src = readFileSync(photos[Math.floor(r() * photos.length)]!);
        const side = 64 + Math.floor(r() * 2400);
        const fmt = (['jpeg', 'png', 'webp'] as const)[k % 3]!;
        const buf = await sharp(src).resize(side, side, { fit: 'inside' })[fmt]().toBuffer();
        await decodeImage(buf);
      }
      return 24;
    },
    close: async () => {},
  };
}

/** What the server does with photos: decode (decodeImage) and resize for a model, inputs made once of random sizes and formats. */
async function decodeMode(): Promise<Mode> {
  const photos = [...files(join(DATA, 'coco-captions-mini/images'), /\.jpe?g$/i), ...files(join(DATA, 'grocery-store-products/queries'), /\.jpg$/i)];
  const r0 = rng(99);
  const inputs: Buffer[] = [];
  for (let k = 0; k < 90; k++) {
    const src = readFileSync(photos[Math.floor(r0() * photos.length)]!);
    const side = 64 + Math.floor(r0() * 2400);
    inputs.push(await sharp(src).resize(side, side, { fit: 'inside' })[(['jpeg', 'png', 'webp'] as const)[k % 3]!]().toBuffer());
  }
  const spec = { width: 260, height: 260, resize: 'shortest-crop', resizeShortest: 297, interpolation: 'bicubic', channelOrder: 'rgb', rescale: 1, mean: [127, 127, 127], std: [128, 128, 128] } satisfies ImagePreprocess;
  return {
    async cycle(c) {
      const r = rng(c * 43 + 3);
      for (let k = 0; k < 30; k++) await preprocessImage(await decodeImage(inputs[Math.floor(r() * inputs.length)]!), spec);
      return 30;
    },
    close: async () => {},
  };
}

async function videoMode(): Promise<Mode> {
  const clips = [...files(join(DATA, 'intel-sample-videos/clips'), /\.mp4$/), ...files(join(DATA, 'intel-sample-videos/asl_gestures'), /\.mkv$/)];
  const dec = new VideoDecoder({ maxConcurrent: 1 });
  return {
    async cycle(c) {
      const r = rng(c * 19 + 5);
      for (let k = 0; k < 4; k++) {
        const clip = clips[Math.floor(r() * clips.length)]!;
        await dec.sampleFrames(readFileSync(clip), { fps: 1, maxFrames: 4 + Math.floor(r() * 12), shortestSide: 160 + Math.floor(r() * 400) });
      }
      return 4;
    },
    close: async () => {},
  };
}

async function jsonMode(): Promise<Mode> {
  const w = new JsonWorker().start();
  return {
    async cycle(c) {
      const r = rng(c * 23 + 11);
      for (let k = 0; k < 6; k++) {
        const n = Math.floor(200 + r() ** 2 * 24_000); // KB
        const doc = { query: { match: { text: 'x'.repeat(64) } }, docs: Array.from({ length: n }, (_, i) => ({ id: i, t: 'lorem ipsum dolor sit amet '.repeat(1 + (i % 60)).slice(0, 700 + (i % 300)) })) };
        const body = Buffer.from(JSON.stringify(doc));
        const res = await w.parse(body, { coding: 'identity', maxBytes: 64 << 20, maxDepth: 64, always: true, owned: true });
        if (!res.ok) throw new Error(res.message);
      }
      return 6;
    },
    close: () => w.close(),
  };
}

async function lmdbMode(): Promise<Mode> {
  const dir = mkdtempSync(join(tmpdir(), 'rss-lmdb-'));
  const disk = await DiskTier.open({ path: dir, maxBytes: 4 << 20 });
  let key = 0;
  return {
    async cycle(c) {
      const r = rng(c * 29 + 13);
      for (let k = 0; k < 1500; k++) {
        const v = new Uint8Array(1600 + Math.floor(r() * 68_000)).fill(k & 255);
        disk.set(`k${key++}`, v);
        disk.get(`k${Math.floor(r() * key)}`);
        if (k % 100 === 99) await disk.flushed();
      }
      await disk.flushed();
      return 1500;
    },
    close: async () => {
      await disk.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function redisMode(): Promise<Mode> {
  const port = 20000 + (process.pid % 10000);
  const srv: ChildProcess = spawn('redis-server', ['--port', String(port), '--save', '', '--appendonly', 'no', '--maxmemory', '8mb', '--maxmemory-policy', 'allkeys-lru'], { stdio: 'ignore' });
  const tier = new RedisTier({ url: `redis://127.0.0.1:${port}`, ttlSeconds: 3600, maxValueBytes: 1 << 20, lockMs: 5000, commandTimeoutMs: 2000, keyPrefix: 'rss:' });
  for (let i = 0; i < 100 && tier.state !== 'ok'; i++) await new Promise((r) => setTimeout(r, 50));
  let key = 0;
  return {
    async cycle(c) {
      const r = rng(c * 37 + 17);
      for (let k = 0; k < 1500; k++) {
        tier.set(`k${key++}`, new Uint8Array(1600 + Math.floor(r() * 68_000)).fill(k & 255));
        if (k % 10 === 9) await tier.getMany(Array.from({ length: 16 }, () => `k${Math.floor(r() * key)}`));
      }
      return 1500;
    },
    close: async () => {
      await tier.close();
      srv.kill();
    },
  };
}

async function httpMode(): Promise<Mode> {
  const read = async (req: IncomingMessage) => {
    const chunks: Buffer[] = [];
    for await (const ch of req) chunks.push(ch as Buffer);
    return Buffer.concat(chunks);
  };
  const server = createServer(async (req, res) => {
    const body = await read(req);
    const n = Number(req.headers['x-answer-bytes'] ?? 0);
    res.setHeader('content-type', 'application/json');
    res.end(Buffer.alloc(n + (body.length & 1), 0x20));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  const pool = new Pool(`http://127.0.0.1:${port}`, { connections: 8 });
  const es = new Pool('http://127.0.0.1:19200', { connections: 4 });
  return {
    async cycle(c) {
      const r = rng(c * 41 + 19);
      const jobs: Array<Promise<unknown>> = [];
      for (let k = 0; k < 24; k++) {
        const up = Math.floor(100_000 + r() ** 2 * 16_000_000);
        const down = Math.floor(100_000 + r() ** 2 * 16_000_000);
        jobs.push(pool.request({ path: '/', method: 'POST', body: Buffer.alloc(up, 0x61), headers: { 'x-answer-bytes': String(down) } }).then((res) => res.body.arrayBuffer()));
        if (k % 3 === 0) {
          jobs.push(
            es
              .request({ path: '/scifact/_search', method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ size: 20 + Math.floor(r() * 200), query: { match: { text: 'cell protein gene' } } }) })
              .then((res) => res.body.arrayBuffer()),
          );
        }
        if (jobs.length >= 6) await Promise.all(jobs.splice(0));
      }
      await Promise.all(jobs);
      return 24;
    },
    close: async () => {
      await pool.close();
      await es.close();
      server.close();
    },
  };
}

const PARTS: Record<string, () => Promise<Mode>> = { text: textMode, ocr: () => ocrMode(), sharp: sharpMode, video: videoMode, json: jsonMode, lmdb: lmdbMode, redis: redisMode, http: httpMode };
/** A model's mode with its sessions unloaded after each cycle (the soak unloads every model every 7 min). */
const unloading = (make: () => Promise<Mode>) => async (): Promise<Mode> => {
  const m = await make();
  return { ...m, cycle: async (c) => (await m.cycle(c)) + (await m.unload!(), 0) };
};
/** Every component at once in one process (threads freeing what others allocated), the models unloaded every 4th cycle. */
async function allMode(): Promise<Mode> {
  const ms = await Promise.all(Object.values(PARTS).map((f) => f()));
  return {
    async cycle(c) {
      const n = await Promise.all(ms.map((m) => m.cycle(c)));
      if (c % 4 === 0) for (const m of ms) await m.unload?.();
      return n.reduce((a, b) => a + b, 0);
    },
    close: async () => void (await Promise.all(ms.map((m) => m.close()))),
  };
}
const MODES: Record<string, () => Promise<Mode>> = { ...PARTS, decode: decodeMode, 'ocr-fixed': () => ocrMode(480), 'ocr-nopattern': () => ocrMode(0, false), 'text-unload': unloading(textMode), 'ocr-unload': unloading(ocrMode), all: allMode };

async function child(mode: string, env: string): Promise<void> {
  const m = await MODES[mode]!();
  const base = status();
  console.log(JSON.stringify({ mode, env, cycle: 0, ...base, heapMb: Math.round(process.memoryUsage().heapUsed / 2 ** 20), msPerItem: 0 }));
  for (let c = 1; c <= CYCLES; c++) {
    const t0 = performance.now();
    const n = await m.cycle(c);
    const ms = performance.now() - t0;
    (globalThis as { gc?: () => void }).gc?.(); // JS garbage is not what is looked for: the heap printed is what is live
    console.log(JSON.stringify({ mode, env, cycle: c, ...status(), heapMb: Math.round(process.memoryUsage().heapUsed / 2 ** 20), msPerItem: +(ms / n).toFixed(2) }));
  }
  await m.close();
  process.exit(0);
}

type Row = { cycle: number; rssMb: number; anonMb: number; heapMb: number; msPerItem: number };

function runChild(mode: string, env: string): Promise<Row[]> {
  const self = fileURLToPath(import.meta.url);
  const rows: Row[] = [];
  return new Promise((res, rej) => {
    const p = spawn(process.execPath, [...process.execArgv, '--expose-gc', self, '--child', mode, '--env', env, '--cycles', String(CYCLES)], {
      stdio: ['ignore', 'pipe', 'inherit'],
      env: { ...process.env, ...ENVS[env] },
    });
    echoJsonLines<Row>(p.stdout!, (r) => rows.push(r));
    p.on('exit', (code) => (code === 0 ? res(rows) : rej(new Error(`${mode}/${env} exited ${code}`))));
  });
}

async function main(): Promise<void> {
  const modes = arg('--modes', Object.keys(PARTS).join(',')).split(',');
  const envs = arg('--envs', 'default,mmap').split(',');
  // --rounds N: each mode's environments alternate N times (short children), for a fair speed ratio on a loaded machine
  const rounds = Number(arg('--rounds', '1'));
  const table: string[] = [];
  const med = (a: number[]) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)]!;
  for (const mode of modes) {
    const runs: Record<string, Row[][]> = {};
    for (let k = 0; k < rounds; k++) for (const env of envs) (runs[env] ??= []).push((await runChild(mode, env)).filter((r) => r.cycle > 0));
    const speed = (env: string) => med(runs[env]!.flat().map((r) => r.msPerItem));
    for (const env of envs) {
      const rows = runs[env]![runs[env]!.length - 1]!;
      const half = rows.slice(Math.floor(rows.length / 2));
      const slope = half.length > 1 ? (half[half.length - 1]!.rssMb - half[0]!.rssMb) / (half.length - 1) : 0;
      table.push(
        `${mode.padEnd(13)} ${env.padEnd(8)} ${rows.map((r) => r.rssMb).join(' ').padEnd(62)} anon ${rows[0]?.anonMb}→${rows[rows.length - 1]?.anonMb}`.padEnd(100) +
          ` heap ${rows[0]?.heapMb}→${rows[rows.length - 1]?.heapMb}  2nd half ${slope.toFixed(1)} MB/cycle  ms/item ${speed(env)}${env !== envs[0] ? ` (÷ ${envs[0]} ${(speed(env) / speed(envs[0]!)).toFixed(2)})` : ''}`,
      );
    }
  }
  console.log('\nmode          env      VmRSS MB after each cycle (the last round)\n' + table.join('\n'));
}

const ci = process.argv.indexOf('--child');
if (ci >= 0) await child(process.argv[ci + 1]!, arg('--env', 'default'));
else await main();
