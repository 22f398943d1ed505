/**
 * Where a cold photo's CPU goes outside the model runs, and what the image models' session
 * options cost (`npx tsx scripts/bench/cold-cpu.ts [--photos 48] [--rounds 5] [--no-stages] [--no-ort] [--off-thread]`).
 * A profiling aid for issue 12's cold path, not a bench with a goal: every figure is CPU per
 * photo (or per image) of the whole process (`process.cpuUsage`, libvips' and onnxruntime's
 * threads included), variants interleaved round by round, the median printed beside each
 * round's value; compare rows within one run only (the machine is shared).
 *
 * Stages (COCO photos, one at a time, as `image.ts` does them): the header probe, the decode to
 * RGB, each image model's resize (sharp from the decoded pixels; CHW conversion not included),
 * the CHW conversion into a reused array, and the time each sharp call spends synchronously on
 * the calling thread (its options read by the native binding) before its work is queued.
 * Variant: one sharp input cloned into both resizes (the decode then runs once per clone) against
 * the decode-once path, after checking the two give the same bytes.
 * ORT: EfficientNet (batch 1 and 4) and NanoDet (batch 1) on the photos' real tensors, on the
 * calling thread with 2 intra-op threads and spinning off (the product's settings), against
 * option variants; each variant's output is compared with the default's first.
 * `--off-thread` (perf18): a photo's whole preprocessing (decode, both resizes, CHW into shared
 * buffers) two at a time on the main thread against the same in two worker threads, checked
 * equal first; CPU of every thread and of the main thread alone (/proc, 10 ms ticks). Also prints
 * how many photos of ../shared/data a JPEG shrink-on-load could serve at all (each image model's
 * input smaller than half the photo's sides).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import * as ort from 'onnxruntime-node';
import sharp from 'sharp';
import { Worker } from 'node:worker_threads';
import { decodeImage, preprocessImage, probeImage, resizeGeometry, toChwFloat, type DecodedImage } from '../../src/features/media/image.js';
import type { ImagePreprocess } from '../../src/models/preprocess.js';
import { benchModels, DATA_DIR, MODELS_DIR } from './features.js';
import { cpuSince, threadCpu } from './run-spans.js';

const argv = process.argv.slice(2);
const arg = (k: string, d: number) => (argv.includes(k) ? Number(argv[argv.indexOf(k) + 1]) : d);
const PHOTOS = arg('--photos', 48);
const ROUNDS = arg('--rounds', 5);

const cpuMs = (c: NodeJS.CpuUsage) => (c.user + c.system) / 1000;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** Run each variant `per` times a round, rounds interleaved; CPU ms per item by variant. */
async function interleaved(variants: Record<string, (i: number) => Promise<unknown>>, per: number, itemsPerCall = 1): Promise<Map<string, number[]>> {
  const out = new Map<string, number[]>();
  for (let r = 0; r < ROUNDS; r++) {
    for (const [k, f] of Object.entries(variants)) {
      const c0 = process.cpuUsage();
      for (let i = 0; i < per; i++) await f(i);
      out.set(k, [...(out.get(k) ?? []), cpuMs(process.cpuUsage(c0)) / (per * itemsPerCall)]);
    }
  }
  return out;
}

function print(title: string, res: Map<string, number[]>, base?: string): void {
  console.log(`\n== ${title}: CPU ms per item, median (rounds)`);
  const b = base ? median(res.get(base)!) : undefined;
  for (const [k, v] of res) {
    const ratio = b ? `  ÷ ${base} ${(median(v) / b).toFixed(3)}` : '';
    console.log(`${k.padEnd(28)} ${median(v).toFixed(2).padStart(7)}  (${v.map((x) => x.toFixed(2)).join(' ')})${ratio}`);
  }
}

const fromRaw = (d: DecodedImage) => sharp(d.data, { raw: { width: d.width, height: d.height, channels: 3 }, limitInputPixels: false });
const rawResize = (d: DecodedImage, s: ImagePreprocess) => {
  const g = resizeGeometry(d.width, d.height, s);
  let p = fromRaw(d).resize(g.resizeWidth, g.resizeHeight, { kernel: s.interpolation === 'bilinear' ? 'linear' : 'cubic', fit: 'fill' });
  if (g.resizeWidth !== s.width || g.resizeHeight !== s.height) p = p.extract({ left: g.left, top: g.top, width: s.width, height: s.height });
  return p;
};

async function stages(photos: Buffer[], E: ImagePreprocess, D: ImagePreprocess): Promise<void> {
  const decoded = await Promise.all(photos.map((p) => decodeImage(p)));
  const eIn = new Float32Array(3 * E.width * E.height);
  const dIn = new Float32Array(3 * D.width * D.height);
  const eRgb = await Promise.all(decoded.map((d) => rawResize(d, E).raw().toBuffer()));
  const dRgb = await Promise.all(decoded.map((d) => rawResize(d, D).raw().toBuffer()));
  const n = photos.length;
  print(`preprocessing stages, ${n} COCO photos one at a time`, await interleaved({
    'probe (header only)': async (i) => probeImage(photos[i]!),
    'decode (probe + RGB)': async (i) => decodeImage(photos[i]!),
    [`resize ${E.width}² (${E.interpolation}, crop)`]: async (i) => rawResize(decoded[i]!, E).raw().toBuffer(),
    [`resize ${D.width}² (${D.interpolation}, stretch)`]: async (i) => rawResize(decoded[i]!, D).raw().toBuffer(),
    'raw → raw, no operation': async (i) => fromRaw(decoded[i]!).raw().toBuffer(),
    'CHW both models, reused': async (i) => {
      toChwFloat(eRgb[i]!, E.width, E.height, E, eIn);
      toChwFloat(dRgb[i]!, D.width, D.height, D, dIn);
    },
  }, n));

  // Synchronous part of each sharp call on this thread (the binding reads its options before queueing the work).
  const sync = { decode: 0, resize: 0, metadata: 0 };
  for (let r = 0; r < ROUNDS; r++) {
    for (let i = 0; i < n; i++) {
      let t = performance.now();
      const m = sharp(photos[i]!, { limitInputPixels: false }).metadata();
      sync.metadata += performance.now() - t;
      await m;
      t = performance.now();
      const d = sharp(photos[i]!, { failOn: 'warning', pages: 1, page: 0, ignoreIcc: true }).rotate().flatten({ background: '#ffffff' }).toColourspace('srgb').raw({ depth: 'uchar' }).toBuffer();
      sync.decode += performance.now() - t;
      await d;
      t = performance.now();
      const z = rawResize(decoded[i]!, D).raw().toBuffer();
      sync.resize += performance.now() - t;
      await z;
    }
  }
  const per = (x: number) => (x / (ROUNDS * n)).toFixed(3);
  console.log(`sharp calls' synchronous part on the calling thread, ms per call: metadata ${per(sync.metadata)}, decode ${per(sync.decode)}, resize from raw ${per(sync.resize)}`);

  // One input cloned into both resizes (libvips decodes it again for each clone) vs decode once.
  const current = async (i: number) => {
    const d = await decodeImage(photos[i]!);
    return Promise.all([rawResize(d, E).raw().toBuffer(), rawResize(d, D).raw().toBuffer()]);
  };
  const cloned = async (i: number) => {
    const m = await probeImage(photos[i]!);
    const base = sharp(photos[i]!, { failOn: 'warning', pages: 1, page: 0, ignoreIcc: true }).rotate().flatten({ background: '#ffffff' }).toColourspace('srgb');
    const both = [E, D].map((s) => {
      const g = resizeGeometry(m.width, m.height, s);
      let p = base.clone().resize(g.resizeWidth, g.resizeHeight, { kernel: s.interpolation === 'bilinear' ? 'linear' : 'cubic', fit: 'fill', fastShrinkOnLoad: false });
      if (g.resizeWidth !== s.width || g.resizeHeight !== s.height) p = p.extract({ left: g.left, top: g.top, width: s.width, height: s.height });
      return p.raw().toBuffer();
    });
    return Promise.all(both);
  };
  let differing = 0;
  for (let i = 0; i < n; i++) {
    const [a, b] = [await current(i), await cloned(i)];
    for (let k = 0; k < 2; k++) if (!a[k]!.equals(b[k]!)) differing++;
  }
  console.log(`\none input cloned into both resizes: ${differing} of ${2 * n} resized images differ from the decode-once path's`);
  print('decode once + two resizes vs one input cloned into both', await interleaved({ 'decode once (image.ts)': current, 'cloned input': cloned }, n), 'decode once (image.ts)');
}

/** Photos (all JPEGs under DATA_DIR) whose sides are at least twice each model input's: only those could be decoded at 1/2 scale or less. */
async function shrinkOnLoad(E: ImagePreprocess, D: ImagePreprocess): Promise<void> {
  const jpegs = (readdirSync(DATA_DIR, { recursive: true }) as string[]).filter((f) => /\.jpe?g$/i.test(f));
  const fits = { [`${E.width}² (shortest ${E.resizeShortest ?? E.width})`]: 0, [`${D.width}² stretch`]: 0 };
  const [ke, kd] = Object.keys(fits) as [string, string];
  for (const f of jpegs) {
    const m = await probeImage(readFileSync(join(DATA_DIR, f)));
    const g = resizeGeometry(m.width, m.height, E);
    if (m.width >= 2 * g.resizeWidth && m.height >= 2 * g.resizeHeight) fits[ke]!++;
    if (m.width >= 2 * D.width && m.height >= 2 * D.height) fits[kd]!++;
  }
  console.log(`\nJPEG shrink-on-load: of ${jpegs.length} JPEGs under ${DATA_DIR}, photos at least twice the input: ${Object.entries(fits).map(([k, v]) => `${k} ${v}`).join(', ')}`);
}

/** The whole preprocessing of each photo, two at a time, on the main thread vs in two worker threads. */
async function offThread(photos: Buffer[], E: ImagePreprocess, D: ImagePreprocess): Promise<void> {
  const specs = [E, D];
  const shared = () => specs.map((s) => new Float32Array(new SharedArrayBuffer(4 * 3 * s.width * s.height)));
  const lanes = [shared(), shared()];
  // the worker runs this TypeScript through tsx, as the bench itself runs
  const url = new URL('./cold-cpu-worker.ts', import.meta.url).href;
  const workers = [0, 1].map(() => new Worker(`import('tsx/esm/api').then((t) => { t.register(); return import(${JSON.stringify(url)}); })`, { eval: true }));
  const waiting = new Map<number, () => void>();
  for (const w of workers) w.on('message', (id: number) => { waiting.get(id)!(); waiting.delete(id); });
  let next = 0;
  const inWorker = (i: number, lane: number) => new Promise<void>((done) => {
    const id = next++;
    waiting.set(id, done);
    workers[lane]!.postMessage({ id, bytes: new Uint8Array(photos[i]!), specs, into: lanes[lane] });
  });
  const onMain = async (i: number, lane: number) => {
    const img = await decodeImage(photos[i]!);
    await Promise.all(specs.map((s, k) => preprocessImage(img, s, undefined, () => lanes[lane]![k]!)));
  };
  const copy = (lane: number) => lanes[lane]!.map((a) => Float32Array.from(a));
  for (let i = 0; i < Math.min(8, photos.length); i++) {
    await onMain(i, 0);
    const a = copy(0);
    await inWorker(i, 0);
    if (a.some((x, k) => !Buffer.from(x.buffer).equals(Buffer.from(copy(0)[k]!.buffer)))) throw new Error(`photo ${i}: the worker's tensors differ`);
  }
  const variants = { 'main thread (image.ts)': onMain, 'two worker threads': inWorker };
  const res = new Map<string, Array<{ all: number; main: number }>>();
  for (let r = 0; r < ROUNDS; r++) {
    for (const [k, f] of Object.entries(variants)) {
      let i = 0;
      const lane = async (l: number) => { while (i < photos.length) await f(i++, l); };
      const c0 = threadCpu();
      await Promise.all([lane(0), lane(1)]);
      const c = cpuSince(c0);
      res.set(k, [...(res.get(k) ?? []), { all: c.total / photos.length, main: (c.byThread.get('main thread') ?? 0) / photos.length }]);
    }
  }
  console.log('\n== a photo\'s preprocessing off the main thread: CPU ms per photo of all threads / of the main thread, median (rounds); tensors checked equal');
  for (const [k, v] of res) {
    console.log(`${k.padEnd(28)} all ${median(v.map((x) => x.all)).toFixed(2)}  main ${median(v.map((x) => x.main)).toFixed(2)}  (${v.map((x) => `${x.all.toFixed(1)}/${x.main.toFixed(1)}`).join(' ')})`);
  }
  await Promise.all(workers.map((w) => w.terminate()));
}

async function ortOptions(photos: Buffer[], E: ImagePreprocess, D: ImagePreprocess): Promise<void> {
  const decoded = await Promise.all(photos.slice(0, 16).map((p) => decodeImage(p)));
  const tensors = async (s: ImagePreprocess) => Promise.all(decoded.map(async (d) => (await preprocessImage(d, s)).data));
  const base = (session: Record<string, string> = {}): ort.InferenceSession.SessionOptions => ({
    executionProviders: ['cpu'],
    graphOptimizationLevel: 'all',
    interOpNumThreads: 1,
    intraOpNumThreads: 2,
    // same keys as src/models/session.ts, plus the variant's
    extra: { session: { intra_op: { allow_spinning: '0' }, inter_op: { allow_spinning: '0' }, ...session } },
  });
  const variants: Record<string, ort.InferenceSession.SessionOptions> = {
    default: base(),
    'denormals as zero': base({ set_denormal_as_zero: '1' }),
    'dynamic_block_base 4': base({ dynamic_block_base: '4' }),
    'graph level extended': { ...base(), graphOptimizationLevel: 'extended' },
    'execution sequential': { ...base(), executionMode: 'sequential' },
  };
  for (const [label, file, s, batch] of [
    ['EfficientNet-Lite2', 'efficientnet-lite2-imagenet/image.onnx', E, 1],
    ['EfficientNet-Lite2', 'efficientnet-lite2-imagenet/image.onnx', E, 4],
    ['NanoDet-g', 'nanodet-g-coco/model.onnx', D, 1],
  ] as const) {
    const ins = await tensors(s);
    const per = 3 * s.width * s.height;
    const feed = (i: number) => {
      const a = new Float32Array(batch * per);
      for (let b = 0; b < batch; b++) a.set(ins[(i * batch + b) % ins.length]!, b * per);
      return new ort.Tensor('float32', a, [batch, 3, s.height, s.width]);
    };
    const sessions = Object.fromEntries(await Promise.all(Object.entries(variants).map(async ([k, o]) => [k, await ort.InferenceSession.create(join(MODELS_DIR, file), o)] as const)));
    const name = sessions.default!.inputNames[0]!;
    const first = async (k: string) => (await sessions[k]!.run({ [name]: feed(0) }))[sessions[k]!.outputNames[0]!]!.data as Float32Array;
    const ref = await first('default');
    const diffs: string[] = [];
    for (const k of Object.keys(sessions)) {
      const o = await first(k);
      let m = 0;
      for (let i = 0; i < ref.length; i++) m = Math.max(m, Math.abs(ref[i]! - o[i]!));
      diffs.push(`${k} ${m.toExponential(1)}`);
      for (let i = 1; i < 3; i++) await sessions[k]!.run({ [name]: feed(i) }); // warm-up
    }
    const calls = Math.max(4, Math.round(16 / batch));
    const runs = Object.fromEntries(Object.entries(sessions).map(([k, ss]) => [k, (i: number) => ss.run({ [name]: feed(i) })]));
    print(`${label} batch ${batch}, session option variants (max |output − default's|: ${diffs.join(', ')})`, await interleaved(runs, calls, batch), 'default');
    await Promise.all(Object.values(sessions).map((ss) => ss.release()));
  }
}

const dir = resolve(DATA_DIR, 'coco-captions-mini/images/val2017');
const photos = readdirSync(dir).filter((f) => f.endsWith('.jpg')).sort().slice(0, PHOTOS).map((f) => readFileSync(join(dir, f)));
const models = await benchModels();
const [E, D] = [(await models.imageClassifier()).preprocess, (await models.objectDetector()).preprocess];
await models.close();
console.log(`cold-cpu: ${photos.length} photos, ${ROUNDS} rounds, sharp concurrency ${sharp.concurrency()}`);
if (argv.includes('--off-thread')) {
  await shrinkOnLoad(E, D);
  await offThread(photos, E, D);
}
if (!argv.includes('--no-stages')) await stages(photos, E, D);
if (!argv.includes('--no-ort')) await ortOptions(photos, E, D);
