/**
 * `npm run bench:soak -- --minutes N`: a month of traffic in an hour (issue 13, held-out probe round
 * 13d) — one compiled `vlrerank serve` (dist/, build first) on a real engine for N minutes of mixed
 * traffic, sampled every `--sample-s` seconds from the outside, to see what grows without bound or
 * drifts. A benchmark, not a test: it prints per-window figures and the slopes at the end.
 *
 * Traffic (4 clients by default, each picking at random): passthrough searches and gets on the demo
 * indices (read only), reranked searches on each of them (text, search by photo, videos, the
 * knowledge base), `_msearch`, `_bulk`/`_doc` ingest with media into its own `<prefix>*` indices,
 * `/v1/rerank` with repeated and new photos (generated, as data: URIs) and texts, client aborts
 * mid-request, a sprinkle of bad requests (4xx), health and metrics scrapes. Events: the models
 * unloaded (and loaded back by the next request) every `--unload-every-min`, the Redis tier (its own
 * redis-server, `maxmemory` bounded) killed at 40 % of the run and restarted at 55 %.
 * Small L1/L2 budgets make the caches evict many times.
 *
 * Samples: RSS, heap used, fds and threads (/proc), sockets to the engine (`ss -tnp`), event-loop
 * lag p99, active handles/resources, L1/disk cache entries and bytes (health), `vlrerank_*` series
 * count, log bytes per request, files under the server's TMPDIR, LMDB size vs budget, Redis memory
 * vs maxmemory, child processes, warnings/unhandled rejections/errors in the log.
 *
 *   npx tsc -p tsconfig.build.json && npm run bench:soak -- --minutes 35
 *   [--engine http://127.0.0.1:19200 --port 19860 --redis-port 16383 --dir /tmp/p13d --prefix p13d-
 *    --clients 4 --window-min 5 --sample-s 15 --unload-every-min 7 --l1-bytes 524288 --disk-bytes 4194304
 *    --server-env MALLOC_ARENA_MAX=2]
 */
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import sharp from 'sharp';

const arg = (name: string, dflt: string) => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1]! : dflt;
};
const MINUTES = Number(arg('--minutes', '35'));
const ENGINE = arg('--engine', 'http://127.0.0.1:19200');
const PORT = Number(arg('--port', '19860'));
const REDIS_PORT = Number(arg('--redis-port', '16383'));
const DIR = resolve(arg('--dir', '/tmp/p13d'));
const PREFIX = arg('--prefix', 'p13d-');
const CLIENTS = Number(arg('--clients', '4'));
const WINDOW_MS = Number(arg('--window-min', '5')) * 60_000;
const SAMPLE_MS = Number(arg('--sample-s', '15')) * 1000;
const UNLOAD_MS = Number(arg('--unload-every-min', '7')) * 60_000;
const L1 = Number(arg('--l1-bytes', '524288'));
const DISK = Number(arg('--disk-bytes', '4194304'));
const REDIS_MB = 8;
/** `--server-env K=V,K2=V2`: extra environment of the server (e.g. MALLOC_ARENA_MAX=2). */
const SERVER_ENV = Object.fromEntries(arg('--server-env', '').split(',').filter(Boolean).map((kv) => kv.split('=') as [string, string]));
const REPO = resolve(import.meta.dirname, '../..');
const DATA = resolve(REPO, '../shared/data');
const URL_ = `http://127.0.0.1:${PORT}`;
const ADMIN = 'p13d-soak-admin-token';
const mb = (b: number) => (b / 1048576).toFixed(1);

// ---------- set-up: config, pipelines with the prefix's patterns, Redis, the server ----------
function writeSetup(): string {
  rmSync(join(DIR, 'tmp'), { recursive: true, force: true }); // the server's TMPDIR: what it leaves there is counted
  for (const d of ['cache', 'pipelines', 'redis', 'tmp', 'features']) mkdirSync(join(DIR, d), { recursive: true });
  for (const f of readdirSync(join(REPO, 'pipelines')).filter((f) => f.endsWith('.yaml'))) {
    const name = basename(f, '.yaml');
    const y = readFileSync(join(REPO, 'pipelines', f), 'utf8').replace(/^index_patterns: \[(.*)\]/m, `index_patterns: [$1, ${PREFIX}${name}-*]`);
    writeFileSync(join(DIR, 'pipelines', f), y);
  }
  // the concept bank, if another checkout computed it (else the warm-up computes it)
  const bank = resolve(REPO, '../main/.cache/vlrerank');
  if (existsSync(bank)) for (const f of readdirSync(bank).filter((f) => f.startsWith('concepts-'))) writeFileSync(join(DIR, 'cache', f), readFileSync(join(bank, f)));
  const cfg = join(DIR, 'config.yaml');
  writeFileSync(cfg, [
    `server: { host: 127.0.0.1, port: ${PORT}, adminToken: ${ADMIN} }`,
    `upstream: { urls: [${ENGINE}] }`,
    'log: { level: info, access: true }',
    `models: { dir: ${resolve(REPO, '../shared/models')} }`,
    `media: { roots: [${DATA}] }`,
    `cache: { maxBytes: ${L1} }`,
    `store: { disk: { path: ${join(DIR, 'features')}, maxBytes: ${DISK} }, redis: { url: "redis://127.0.0.1:${REDIS_PORT}/0" } }`,
    `rerank: { cacheDir: ${join(DIR, 'cache')} }`,
    `pipelines: { dir: ${join(DIR, 'pipelines')} }`,
  ].join('\n') + '\n');
  return cfg;
}

let redis: ChildProcess | undefined;
function startRedis(): void {
  redis = spawn('redis-server', ['--port', String(REDIS_PORT), '--bind', '127.0.0.1', '--dir', join(DIR, 'redis'), '--maxmemory', `${REDIS_MB}mb`, '--maxmemory-policy', 'allkeys-lru', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
}
function redisMemory(): number | undefined {
  try {
    const out = execFileSync('redis-cli', ['-p', String(REDIS_PORT), 'info', 'memory'], { encoding: 'utf8', timeout: 2000, stdio: ['ignore', 'pipe', 'ignore'] });
    return Number(/used_memory:(\d+)/.exec(out)?.[1]);
  } catch {
    return undefined;
  }
}

async function startServer(cfg: string): Promise<ChildProcess> {
  const logFd = (await import('node:fs')).openSync(join(DIR, 'serve.log'), 'w');
  const child = spawn(process.execPath, ['--trace-warnings', 'dist/cli/main.js', 'serve', '-c', cfg], { cwd: REPO, env: { ...process.env, ...SERVER_ENV, TMPDIR: join(DIR, 'tmp') }, stdio: ['ignore', logFd, logFd] });
  for (let i = 0; i < 600; i++) {
    const r = await fetch(`${URL_}/_vlrerank/health?ready`).catch(() => undefined);
    if (r?.status === 200) return child;
    if (child.exitCode !== null) throw new Error(`vlrerank serve exited ${child.exitCode}: see ${DIR}/serve.log`);
    await new Promise((res) => setTimeout(res, 500));
  }
  throw new Error('vlrerank serve not ready in 300 s');
}

// ---------- material ----------
const pick = <T>(a: T[]): T => a[Math.floor(Math.random() * a.length)]!;
const rnd = () => Math.random().toString(36).slice(2, 8);
const shelfPhotos = readFileSync(join(DATA, 'grocery-store-products/queries.tsv'), 'utf8').split('\n').slice(1).filter(Boolean).map((l) => join(DATA, 'grocery-store-products', l.split('\t')[0]!));
const coco = readFileSync(join(DATA, 'coco-captions-mini/captions.jsonl'), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as { image: string; coco_id: number; captions: string[] });
const videos = readFileSync(join(DATA, 'intel-sample-videos/videos.jsonl'), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as { file: string; label: string; duration_s: number }).filter((v) => v.duration_s <= 12);
const claims = readFileSync(join(DATA, 'scifact-beir/queries.jsonl'), 'utf8').split('\n').filter(Boolean).map((l) => (JSON.parse(l) as { text: string }).text);
const WORDS = 'apple milk juice yoghurt pepper tomato banana oat dog frisbee kitchen person cooking train street cat pizza bicycle beach sunset protein cell gene'.split(' ');
const words = (n: number) => Array.from({ length: n }, () => pick(WORDS)).join(' ');
async function newPhoto(): Promise<string> {
  const w = 48 + Math.floor(Math.random() * 64);
  const px = Buffer.alloc(w * w * 3);
  for (let i = 0; i < px.length; i++) px[i] = Math.floor(Math.random() * 256);
  const jpg = await sharp(px, { raw: { width: w, height: w, channels: 3 } }).jpeg().toBuffer();
  return `data:image/jpeg;base64,${jpg.toString('base64')}`;
}

// ---------- traffic ----------
type Op = { name: string; weight: number; run: (signal?: AbortSignal) => Promise<Response> };
const J = { 'content-type': 'application/json' };
const post = (path: string, body: unknown, signal?: AbortSignal, headers: Record<string, string> = J) => fetch(URL_ + path, { method: 'POST', headers, body: typeof body === 'string' ? body : JSON.stringify(body), signal });
const rerankSearch = (index: string, query: Record<string, unknown>, window = 10, signal?: AbortSignal) => post(`/${index}/_search`, { size: 5, _source: { excludes: ['*vector*', '_vlrerank*'] }, ext: { vlrerank: { query, window } } }, signal);
const ownDocId = () => String(Math.floor(Math.random() * 300));

const OPS: Op[] = [
  { name: 'pass', weight: 12, run: (s) => fetch(`${URL_}/${pick(['grocery', 'coco', 'videos', 'scifact'])}/_search?q=${pick(WORDS)}&size=3&filter_path=hits.total`, { signal: s }) },
  { name: 'get', weight: 5, run: (s) => fetch(`${URL_}/coco/_doc/${pick(coco).coco_id}?_source_excludes=*vector*`, { signal: s }) },
  { name: 'rr_text', weight: 10, run: (s) => rerankSearch(pick(['grocery', 'coco']), { text: Math.random() < 0.5 ? pick(['green apple', 'oat milk', 'a dog catching a frisbee', 'a train at a station']) : words(3) }, 10, s) },
  { name: 'rr_image', weight: 6, run: (s) => rerankSearch('grocery', { image: pick(shelfPhotos) }, 10, s) },
  { name: 'rr_video', weight: 3, run: (s) => rerankSearch('videos', Math.random() < 0.7 ? { text: words(2) } : { video: join(DATA, 'intel-sample-videos', pick(videos).file) }, 8, s) },
  { name: 'kb', weight: 5, run: (s) => post('/scifact/_search', { size: 5, _source: ['title'], query: { match: { text: pick(claims) } } }, s) },
  {
    name: 'msearch', weight: 4, run: (s) => post('/_msearch', [
      { index: 'coco' }, { size: 2, query: { match: { caption: pick(WORDS) } } },
      { index: 'grocery' }, { size: 3, _source: ['title'], ext: { vlrerank: { query: { text: words(2) }, window: 8 } } },
      { index: 'scifact' }, { size: 2, _source: ['title'], query: { match: { text: pick(claims) } } },
    ].map((l) => JSON.stringify(l)).join('\n') + '\n', s, { 'content-type': 'application/x-ndjson' }),
  },
  {
    name: 'bulk', weight: 3, run: (s) => {
      const lines: string[] = [];
      for (let i = 0; i < 4; i++) {
        const c = pick(coco);
        lines.push(JSON.stringify({ index: { _index: `${PREFIX}coco-soak`, _id: ownDocId() } }), JSON.stringify({ caption: `${pick(c.captions)} ${rnd()}`, image: join(DATA, 'coco-captions-mini', c.image) }));
      }
      return post('/_bulk', lines.join('\n') + '\n', s, { 'content-type': 'application/x-ndjson' });
    },
  },
  { name: 'doc', weight: 3, run: (s) => fetch(`${URL_}/${PREFIX}grocery-soak/_doc/${ownDocId()}`, { method: 'PUT', headers: J, body: JSON.stringify({ title: `${words(2)} ${rnd()}`, description: words(8), image: pick(shelfPhotos) }), signal: s }) },
  { name: 'doc_video', weight: 1, run: (s) => fetch(`${URL_}/${PREFIX}videos-soak/_doc/${Math.floor(Math.random() * 40)}`, { method: 'PUT', headers: J, body: JSON.stringify({ title: words(2), video: join(DATA, 'intel-sample-videos', pick(videos).file) }), signal: s }) },
  { name: 'rr_own', weight: 3, run: (s) => rerankSearch(pick([`${PREFIX}coco-soak`, `${PREFIX}grocery-soak`]), { text: words(2) }, 10, s) },
  {
    name: 'v1rerank', weight: 8, run: async (s) => {
      const docs: unknown[] = [];
      for (let i = 0; i < 6; i++) {
        const r = Math.random();
        if (r < 0.3) docs.push(`${words(6)} ${rnd()}`); // new text
        else if (r < 0.5) docs.push(pick(coco).captions[0]); // repeated text
        else if (r < 0.75) docs.push({ image: join(DATA, 'coco-captions-mini', pick(coco).image) }); // repeated photo
        else docs.push({ image: await newPhoto() }); // a photo never seen
      }
      return post('/v1/rerank', { model: 'vlrerank', query: Math.random() < 0.5 ? words(3) : pick(coco).captions[1], documents: docs, top_n: 3 }, s);
    },
  },
  { name: 'health', weight: 2, run: (s) => fetch(`${URL_}/_vlrerank/health`, { signal: s }) },
  { name: 'metrics', weight: 1, run: (s) => fetch(`${URL_}/_vlrerank/metrics`, { signal: s }) },
  {
    name: 'bad', weight: 3, run: (s) => pick([
      () => post('/grocery/_search', '{"ext":{"vlrerank":{"query":', s),
      () => post('/v1/rerank', { query: 'x' }, s),
      () => post('/v1/rerank', { query: 'x', documents: [{ image: '/etc/passwd' }] }, s),
      () => rerankSearch('grocery', { text: 'x' }, -3, s),
      () => post('/_vlrerank/models/nope/_unload', {}, s, { ...J, authorization: `Bearer ${ADMIN}` }),
      () => post('/coco/_search', { ext: { vlrerank: { query: { image: 'not-a-photo' } } } }, s),
    ])(),
  },
];
const ABORTABLE = ['rr_text', 'rr_image', 'rr_video', 'v1rerank', 'msearch', 'bulk', 'kb'];
const TOTAL_W = OPS.reduce((a, o) => a + o.weight, 0);
function chooseOp(): Op {
  let r = Math.random() * TOTAL_W;
  for (const o of OPS) if ((r -= o.weight) < 0) return o;
  return OPS[0]!;
}

type Done = { t: number; op: string; status: number; ms: number };
const done: Done[] = [];
let stopping = false;
async function client(): Promise<void> {
  while (!stopping) {
    const op = chooseOp();
    const abort = ABORTABLE.includes(op.name) && Math.random() < 0.08;
    const ac = abort ? new AbortController() : undefined;
    const timer = ac ? setTimeout(() => ac.abort(), 20 + Math.random() * 400) : undefined;
    const t0 = performance.now();
    let status = 0;
    try {
      const r = await op.run(ac?.signal);
      await r.arrayBuffer();
      status = r.status;
    } catch {
      status = abort ? -1 : 0; // -1: our abort; 0: connection error
    }
    clearTimeout(timer);
    done.push({ t: Date.now(), op: abort ? `${op.name}!abort` : op.name, status, ms: performance.now() - t0 });
  }
}

// ---------- samples ----------
type Sample = Record<string, number> & { t: number };
const samples: Sample[] = [];
const unloads: Array<{ t: number; rssBefore: number; rssAfter: number }> = [];
function proc(pid: number): { rss: number; fds: number; threads: number; children: number } {
  const st = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (k: string) => Number(new RegExp(`${k}:\\s+(\\d+)`).exec(st)?.[1] ?? 0);
  let children = 0;
  try {
    for (const t of readdirSync(`/proc/${pid}/task`)) children += readFileSync(`/proc/${pid}/task/${t}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).length;
  } catch { /* a thread gone meanwhile */ }
  return { rss: kb('VmRSS') * 1024, fds: readdirSync(`/proc/${pid}/fd`).length, threads: kb('Threads'), children };
}
function engineSockets(pid: number): number {
  const port = new URL(ENGINE).port;
  const out = execFileSync('ss', ['-tnp', 'state', 'all', `dport = :${port}`], { encoding: 'utf8' });
  return out.split('\n').filter((l) => l.includes(`pid=${pid},`)).length;
}
function dirBytes(d: string): { files: number; bytes: number } {
  let files = 0;
  let bytes = 0;
  const walk = (p: string) => {
    for (const e of readdirSync(p, { withFileTypes: true })) {
      const q = join(p, e.name);
      try {
        if (e.isDirectory()) walk(q);
        else { files++; bytes += statSync(q).size; }
      } catch { /* removed meanwhile */ }
    }
  };
  try { walk(d); } catch { /* none */ }
  return { files, bytes };
}
const metric = (text: string, name: string) => Number(new RegExp(`^${name} ([0-9.e+-]+)$`, 'm').exec(text)?.[1] ?? NaN);
/** A gauge's samples summed over its labels (the handles and resources by type: their `_total` gauges are gone, promtool refuses them). */
const metricSum = (text: string, name: string) => [...text.matchAll(new RegExp(`^${name}\\{[^}]*\\} ([0-9.e+-]+)$`, 'gm'))].reduce((a, x) => a + Number(x[1]), 0);
async function sample(pid: number): Promise<void> {
  const p = proc(pid);
  const m = await (await fetch(`${URL_}/_vlrerank/metrics`)).text();
  const h = (await (await fetch(`${URL_}/_vlrerank/health`)).json()) as { feature_store?: { l1?: { entries: number; bytes: number; evictions: number }; disk?: { entries: number; bytes: number } } };
  const log = readFileSync(join(DIR, 'serve.log'), 'utf8');
  const tmp = dirBytes(join(DIR, 'tmp'));
  samples.push({
    t: Date.now(), rss: p.rss, fds: p.fds, threads: p.threads, children: p.children, sockets: engineSockets(pid),
    heap: metric(m, 'vlrerank_nodejs_heap_size_used_bytes'), lagP99: metric(m, 'vlrerank_nodejs_eventloop_lag_p99_seconds'),
    handles: metricSum(m, 'vlrerank_nodejs_active_handles'), resources: metricSum(m, 'vlrerank_nodejs_active_resources'),
    series: m.split('\n').filter((l) => l.startsWith('vlrerank_')).length,
    unhandled: metric(m, 'vlrerank_unhandled_rejections_total'),
    // requests being served (the scrape itself, route admin, left out) and rerank work admitted: 0 once quiet
    inFlight: [...m.matchAll(/^vlrerank_requests_in_flight\{route="(?!admin)[^"]*"\} (\d+)/gm)].reduce((a, x) => a + Number(x[1]), 0),
    admitted: Number(/^vlrerank_rerank_admission\{what="in_flight"\} (\d+)/m.exec(m)?.[1] ?? 0),
    l1Entries: h.feature_store?.l1?.entries ?? NaN, l1Bytes: h.feature_store?.l1?.bytes ?? NaN, l1Evictions: h.feature_store?.l1?.evictions ?? NaN,
    diskEntries: h.feature_store?.disk?.entries ?? NaN, diskBytes: h.feature_store?.disk?.bytes ?? NaN,
    lmdbFile: dirBytes(join(DIR, 'features')).bytes, redisMem: redisMemory() ?? NaN,
    tmpFiles: tmp.files, tmpBytes: tmp.bytes, logBytes: Buffer.byteLength(log), requests: done.length,
    warnings: (log.match(/Warning/g) ?? []).length, logErrors: (log.match(/"level":(50|60)/g) ?? []).length,
  });
}

// ---------- report ----------
const pct = (a: number[], q: number) => (a.length ? [...a].sort((x, y) => x - y)[Math.min(a.length - 1, Math.floor(q * a.length))]! : NaN);
function slope(xs: number[], ys: number[]): number {
  const pts = xs.map((x, i) => [x, ys[i]!] as const).filter(([, y]) => Number.isFinite(y));
  const n = pts.length;
  if (n < 2) return NaN;
  const mx = pts.reduce((a, [x]) => a + x, 0) / n;
  const my = pts.reduce((a, [, y]) => a + y, 0) / n;
  const sxx = pts.reduce((a, [x]) => a + (x - mx) ** 2, 0);
  return sxx ? pts.reduce((a, [x, y]) => a + (x - mx) * (y - my), 0) / sxx : NaN;
}
function report(t0: number): void {
  const windows = Math.ceil((Date.now() - t0) / WINDOW_MS);
  const cats = [...new Set(done.map((d) => d.op))].filter((c) => !c.endsWith('!abort')).sort();
  console.log(`\nper ${WINDOW_MS / 60000}-minute window: requests, statuses, p50 ms per kind, and the last sample`);
  console.log(['win', 'req', '2xx', '4xx', '5xx', 'conn', 'abort', ...cats, 'rssMB', 'heapMB', 'fds', 'sock', 'handles', 'lagP99ms', 'series', 'tmpF', 'l1Ent', 'l1Ev', 'diskMB', 'lmdbMB', 'redisMB'].join('\t'));
  const winP50: Record<string, number[]> = {};
  for (let w = 0; w < windows; w++) {
    const a = t0 + w * WINDOW_MS;
    const ds = done.filter((d) => d.t >= a && d.t < a + WINDOW_MS);
    const s = samples.filter((x) => x.t < a + WINDOW_MS).at(-1);
    const row: Array<string | number> = [w + 1, ds.length, ...[2, 4, 5].map((c) => ds.filter((d) => Math.floor(d.status / 100) === c).length), ds.filter((d) => d.status === 0).length, ds.filter((d) => d.status === -1).length];
    for (const c of cats) {
      const p = pct(ds.filter((d) => d.op === c && d.status > 0).map((d) => d.ms), 0.5);
      (winP50[c] ??= []).push(p);
      row.push(Math.round(p));
    }
    if (s) row.push(mb(s.rss), mb(s.heap), s.fds, s.sockets, s.handles, Math.round(s.lagP99 * 1000), s.series, s.tmpFiles, s.l1Entries, s.l1Evictions, mb(s.diskBytes), mb(s.lmdbFile), mb(s.redisMem));
    console.log(row.join('\t'));
  }
  const first = samples[0]!;
  const last = samples.at(-1)!;
  const mins = samples.map((s) => (s.t - first.t) / 60000);
  console.log(`\n${done.length} requests in ${((last.t - first.t) / 60000).toFixed(1)} min; statuses: ${JSON.stringify(Object.fromEntries([...new Set(done.map((d) => d.status))].sort().map((s) => [s, done.filter((d) => d.status === s).length])))}`);
  console.log('slopes per minute (least squares over all samples), first → last sample:');
  for (const k of ['rss', 'heap', 'fds', 'threads', 'sockets', 'handles', 'resources', 'children', 'series', 'tmpFiles', 'tmpBytes', 'l1Entries', 'l1Bytes', 'diskEntries', 'diskBytes', 'lmdbFile', 'redisMem', 'lagP99', 'unhandled', 'warnings', 'logErrors', 'inFlight', 'admitted']) {
    console.log(`  ${k.padEnd(12)} ${slope(mins, samples.map((s) => s[k]!)).toPrecision(4).padStart(12)}/min   ${first[k]} → ${last[k]}`);
  }
  // the second half only: warm-up and cache filling are over
  const half = samples.filter((s) => s.t >= first.t + (last.t - first.t) / 2);
  console.log('slopes per minute, second half only:');
  for (const k of ['rss', 'heap', 'fds', 'sockets', 'handles', 'series']) console.log(`  ${k.padEnd(12)} ${slope(half.map((s) => (s.t - first.t) / 60000), half.map((s) => s[k]!)).toPrecision(4).padStart(12)}/min`);
  const perReq = (last.logBytes - first.logBytes) / Math.max(1, last.requests - first.requests);
  console.log(`log bytes per request: ${perReq.toFixed(0)}; LMDB file ${mb(last.lmdbFile)} MB vs budget ${mb(DISK)} MB; Redis ${mb(last.redisMem)} MB vs maxmemory ${REDIS_MB} MB`);
  console.log('p50 ms per window, slope per window:');
  for (const [c, ps] of Object.entries(winP50)) console.log(`  ${c.padEnd(12)} ${ps.map((p) => Math.round(p)).join(' ')}   slope ${slope(ps.map((_, i) => i), ps).toFixed(1)} ms/window`);
  console.log('RSS after each unload (MB):', unloads.map((u) => `${mb(u.rssBefore)}→${mb(u.rssAfter)}`).join(', ') || 'none');
}

// ---------- main ----------
const cfg = writeSetup();
rmSync(join(DIR, 'features'), { recursive: true, force: true });
startRedis();
const server = await startServer(cfg);
const pid = server.pid!;
console.log(`vlrerank serve pid ${pid} on ${URL_}, Redis ${REDIS_PORT}, ${MINUTES} min, ${CLIENTS} clients; log ${DIR}/serve.log`);
for (const name of ['coco', 'grocery', 'videos']) {
  execFileSync(process.execPath, ['dist/cli/main.js', 'index', 'setup', `${PREFIX}${name}-soak`, '-c', cfg, '--log-level', 'warn'], { cwd: REPO, stdio: ['ignore', 'ignore', 'inherit'] });
}
const t0 = Date.now();
const end = t0 + MINUTES * 60_000;
await sample(pid);
const sampler = setInterval(() => void sample(pid).catch((e) => console.error('sample failed:', (e as Error).message)), SAMPLE_MS);
const windowTimer = setInterval(() => {
  const s = samples.at(-1)!;
  console.log(`[${((Date.now() - t0) / 60000).toFixed(1)} min] ${done.length} req, rss ${mb(s.rss)} MB, heap ${mb(s.heap)} MB, fds ${s.fds}, sockets ${s.sockets}, handles ${s.handles}, series ${s.series}, tmp files ${s.tmpFiles}, l1 ${s.l1Entries} (${s.l1Evictions} evicted), disk ${mb(s.diskBytes)} MB, redis ${mb(s.redisMem)} MB`);
}, 60_000);
const events = (async () => {
  let redisDown = false;
  let redisUp = false;
  let nextUnload = t0 + UNLOAD_MS;
  while (Date.now() < end) {
    await new Promise((r) => setTimeout(r, 2000));
    const frac = (Date.now() - t0) / (end - t0);
    if (!redisDown && frac >= 0.4) {
      redisDown = true;
      redis?.kill('SIGKILL');
      console.log(`[${((Date.now() - t0) / 60000).toFixed(1)} min] Redis killed`);
    }
    if (!redisUp && frac >= 0.55) {
      redisUp = true;
      startRedis();
      console.log(`[${((Date.now() - t0) / 60000).toFixed(1)} min] Redis restarted`);
    }
    if (Date.now() >= nextUnload && end - Date.now() > 60_000) {
      nextUnload += UNLOAD_MS;
      const rssBefore = proc(pid).rss;
      const list = (await (await fetch(`${URL_}/_vlrerank/models`)).json()) as { models?: Array<{ id: string; loaded?: boolean; state?: string }> } | Array<{ id: string }>;
      const models = (Array.isArray(list) ? list : list.models ?? []) as Array<{ id: string; loaded?: boolean; state?: string }>;
      for (const m of models.filter((m) => m.loaded || m.state === 'loaded')) {
        await post(`/_vlrerank/models/${encodeURIComponent(m.id)}/_unload`, {}, undefined, { ...J, authorization: `Bearer ${ADMIN}` }).then((r) => r.arrayBuffer());
      }
      await new Promise((r) => setTimeout(r, 1000));
      unloads.push({ t: Date.now(), rssBefore, rssAfter: proc(pid).rss });
      console.log(`[${((Date.now() - t0) / 60000).toFixed(1)} min] unloaded ${models.filter((m) => m.loaded || m.state === 'loaded').length} models: RSS ${mb(rssBefore)} → ${mb(unloads.at(-1)!.rssAfter)} MB`);
    }
  }
})();
const clients = Array.from({ length: CLIENTS }, () => client());
await events;
stopping = true;
await Promise.all(clients);
clearInterval(sampler);
clearInterval(windowTimer);
await new Promise((r) => setTimeout(r, 3000)); // quiet: what is left once the traffic stops
await sample(pid);
report(t0);
const log = readFileSync(join(DIR, 'serve.log'), 'utf8');
const notable = log.split('\n').filter((l) => /Warning|Unhandled|unhandled|"level":(50|60)/.test(l));
console.log(`log: ${notable.length} warnings/errors; first ones:\n${notable.slice(0, 8).map((l) => '  ' + l.slice(0, 300)).join('\n')}`);
server.kill('SIGTERM');
redis?.kill('SIGTERM');
await new Promise((r) => server.once('exit', r));
