/**
 * Held-out probe round 24a: clients on bad networks in front of `vlrerank serve`, each case beside the
 * engine answering directly. Raw sockets (node:net), so a case can read slowly, vanish at a stage,
 * half-close, pipeline or reuse a connection the server is closing.
 *
 *   npx tsx scripts/probe/p24a-net.ts <case> <vlrerank-url> <engine-url> <server-pid>
 *   cases: slow-readers | slow-passthrough | vanish | half-close | retry-writes | pipelining | keepalive
 */
import net from 'node:net';
import { readFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { DATA } from '../../test/helpers/paths.js';

export const [, , which = 'slow-readers', proxyUrl = 'http://127.0.0.1:19516', engineUrl = 'http://127.0.0.1:19200', pidArg = ''] = process.argv;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const hp = (u: string) => { const x = new URL(u); return { host: x.hostname, port: Number(x.port) }; };

export const bigSearch = (rerank: boolean, size = 300) => JSON.stringify({ size, query: { match: { pad: 'apple' } }, ...(rerank ? { ext: { vlrerank: { query: { text: 'green apple' }, window: size } } } : {}) });
export const req = (method: string, path: string, body = '', extra = '') => `${method} ${path} HTTP/1.1\r\nHost: x\r\n${body ? `Content-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n` : ''}${extra}\r\n${body}`;

function rssMb(pid: string): number {
  if (!pid) return NaN;
  const m = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Math.round(Number(m[1]) / 1024) : NaN;
}
function conns(pid: string, port: number): number {
  try { return execFileSync('ss', ['-tnpH', 'state', 'established', `dport = :${port}`], { encoding: 'utf8' }).split('\n').filter((l) => l.includes(`pid=${pid},`)).length; } catch { return NaN; }
}

/** Writes `raw` on a fresh socket and reads the answer at `bytesPerSec` (pause/resume), for at most `forMs`. */
export function slowRead(url: string, raw: string, bytesPerSec: number, forMs: number): Promise<{ got: number; firstByteMs: number; ended: boolean; err?: string }> {
  return new Promise((resolve) => {
    const t0 = Date.now();
    let got = 0, first = -1, done = false;
    const s = net.connect(hp(url));
    const finish = (ended: boolean, err?: string) => { if (done) return; done = true; clearTimeout(stop); s.destroy(); resolve({ got, firstByteMs: first, ended, err }); };
    const stop = setTimeout(() => finish(false), forMs);
    s.setNoDelay(true);
    s.on('connect', () => s.write(raw));
    s.on('data', (c: Buffer) => { if (first < 0) first = Date.now() - t0; got += c.length; s.pause(); setTimeout(() => s.resume(), (c.length / bytesPerSec) * 1000); });
    s.on('end', () => finish(true));
    s.on('error', (e) => finish(false, (e as NodeJS.ErrnoException).code ?? e.message));
  });
}

/** Side probe: the latency of GET url every `everyMs` while `busy` runs. */
async function sideProbe(url: string, busy: Promise<unknown>, everyMs = 500, init?: RequestInit) {
  const ms: number[] = []; let fails = 0; let live = true;
  void busy.finally(() => (live = false));
  while (live) {
    const t = performance.now();
    try { const r = await fetch(url, { ...init, signal: AbortSignal.timeout(20_000) }); await r.arrayBuffer(); if (r.status >= 400) fails++; } catch { fails++; }
    ms.push(performance.now() - t);
    await sleep(everyMs);
  }
  ms.sort((a, b) => a - b);
  const q = (p: number) => Math.round(ms[Math.min(ms.length - 1, Math.floor(p * ms.length))] ?? NaN);
  return { n: ms.length, p50: q(0.5), p99: q(0.99), max: q(1), fails };
}

async function health(url: string) {
  const j = (await (await fetch(`${url}/_vlrerank/health`)).json()) as { rerank_admission?: Record<string, number>; memory?: Record<string, number> };
  return j.rerank_admission;
}

async function slowCase(target: string, rerank: boolean, n: number, rate: number, forMs: number) {
  const raw = req('POST', '/p24a-g/_search', bigSearch(rerank));
  const before = rssMb(pidArg);
  const peak = { rss: before, up: 0 };
  const sampler = setInterval(() => { peak.rss = Math.max(peak.rss, rssMb(pidArg)); peak.up = Math.max(peak.up, conns(pidArg, hp(engineUrl).port)); }, 500);
  const readers = Promise.all(Array.from({ length: n }, () => slowRead(target, raw, rate, forMs)));
  const sideHealth = sideProbe(`${proxyUrl}/_vlrerank/health`, readers);
  const sidePass = sideProbe(`${target}/p24a-g/_search?size=1&filter_path=hits.total`, readers);
  const sideEngine = sideProbe(`${engineUrl}/p24a-g/_search?size=1&filter_path=hits.total`, readers);
  const res = await readers;
  clearInterval(sampler);
  await sleep(1000);
  console.log(JSON.stringify({ target, rerank, n, rate, forMs, got: res.map((r) => r.got).reduce((a, b) => a + b, 0), ended: res.filter((r) => r.ended).length, errs: [...new Set(res.map((r) => r.err).filter(Boolean))], firstByteMs: Math.max(...res.map((r) => r.firstByteMs)), rssBefore: before, rssPeak: peak.rss, rssAfter: rssMb(pidArg), upstreamConnsPeak: peak.up, upstreamConnsAfter: conns(pidArg, hp(engineUrl).port), health: await sideHealth, passthrough: await sidePass, engineSide: await sideEngine, admission: await health(proxyUrl) }));
}

if (which === 'slow-readers') {
  await slowCase(proxyUrl, true, Number(process.env.N ?? 50), Number(process.env.RATE ?? 5000), Number(process.env.FOR ?? 60_000));
  await slowCase(engineUrl, false, Number(process.env.N ?? 50), Number(process.env.RATE ?? 5000), Number(process.env.FOR ?? 60_000));
} else if (which === 'slow-passthrough') {
  await slowCase(proxyUrl, false, Number(process.env.N ?? 80), Number(process.env.RATE ?? 5000), Number(process.env.FOR ?? 60_000));
}

/** Writes `raw`, then shuts the write side (FIN) or not, and reads whatever comes back until close. */
export function exchange(url: string, raw: string | Buffer, opts: { halfClose?: boolean; timeoutMs?: number } = {}): Promise<{ text: string; ms: number; how: string }> {
  return new Promise((resolve) => {
    const t0 = Date.now(); const parts: Buffer[] = []; let done = false;
    const s = net.connect(hp(url));
    const fin = (how: string) => { if (done) return; done = true; clearTimeout(t); s.destroy(); resolve({ text: Buffer.concat(parts).toString('latin1'), ms: Date.now() - t0, how }); };
    const t = setTimeout(() => fin('timeout'), opts.timeoutMs ?? 60_000);
    s.on('connect', () => { s.write(raw); if (opts.halfClose) s.end(); });
    s.on('data', (c: Buffer) => parts.push(c));
    s.on('end', () => fin('end'));
    s.on('close', () => fin('close'));
    s.on('error', (e) => fin(`error ${(e as NodeJS.ErrnoException).code}`));
  });
}
const statusLines = (t: string) => [...t.matchAll(/HTTP\/1\.1 (\d{3})/g)].map((m) => m[1]).join(',') || '-';

if (which === 'half-close') {
  const photo = `${DATA}/grocery-store-products/iconic-images-and-descriptions/Fruit/Apple/Golden-Delicious/Golden-Delicious_Iconic.jpg`;
  const cases: [string, string, boolean][] = [
    ['passthrough search', req('POST', '/p24a-g/_search?size=1&filter_path=hits.total', '{"query":{"match_all":{}}}'), true],
    ['reranked search', req('POST', '/p24a-g/_search?filter_path=hits.hits._id', JSON.stringify({ size: 3, query: { match: { title: 'apple' } }, ext: { vlrerank: { query: { text: 'green apple' } } } })), false],
    ['GET no body', req('GET', '/p24a-g/_count'), true],
    ['_doc PUT', req('PUT', '/p24a-g/_doc/hc-1?refresh=true&filter_path=result', JSON.stringify({ title: 'half close', image: photo })), true],
    ['_bulk', req('POST', '/_bulk?filter_path=errors', `{"index":{"_index":"p24a-g","_id":"hc-2"}}\n${JSON.stringify({ title: 'half close 2', image: photo })}\n`), true],
    ['/v1/rerank', req('POST', '/v1/rerank', JSON.stringify({ query: 'apple', documents: ['an apple', 'a car', 'a pear'] })), false],
    ['/v1/rerank photos', req('POST', '/v1/rerank', JSON.stringify({ query: 'apple', documents: [{ image: photo }, { text: 'a car' }] })), false],
    ['health', req('GET', '/_vlrerank/health'), false],
    ['two pipelined then FIN', req('GET', '/p24a-g/_count') + req('POST', '/p24a-g/_search?filter_path=hits.hits._id', JSON.stringify({ size: 2, query: { match: { title: 'apple' } }, ext: { vlrerank: { query: { text: 'apple' } } } })), false],
  ];
  for (const [name, raw, onEngine] of cases) {
    const p = await exchange(proxyUrl, raw, { halfClose: true });
    const e = onEngine ? await exchange(engineUrl, raw.replace(/,"ext":\{.*\}\}\}/, ''), { halfClose: true }) : undefined;
    console.log(JSON.stringify({ name, proxy: { status: statusLines(p.text), ms: p.ms, how: p.how, body: p.text.split('\r\n\r\n').slice(1).join(' ').slice(0, 160) }, engine: e && { status: statusLines(e.text), ms: e.ms, how: e.how } }));
  }
  console.log(JSON.stringify(await health(proxyUrl)));
}

/** Opens a connection, writes `head` then `body` in `chunks` pieces `gapMs` apart, and leaves (FIN or RST) after `leaveMs`. */
export function leaveAt(url: string, head: string, body: Buffer, o: { leaveMs: number; rst: boolean; chunks?: number; gapMs?: number }): Promise<string> {
  return new Promise((resolve) => {
    const s = net.connect(hp(url));
    const parts: Buffer[] = [];
    const go = async () => {
      s.write(head);
      const n = o.chunks ?? 1;
      for (let i = 0; i < n && !s.destroyed; i++) { s.write(body.subarray(Math.floor((i * body.length) / n), Math.floor(((i + 1) * body.length) / n))); if (o.gapMs) await sleep(o.gapMs); }
    };
    s.on('connect', () => void go());
    s.on('data', (c: Buffer) => parts.push(c));
    s.on('error', () => undefined);
    setTimeout(() => { const got = Buffer.concat(parts).toString('latin1').slice(0, 40); if (o.rst) s.resetAndDestroy(); else s.end(); setTimeout(() => { s.destroy(); resolve(got); }, 200); }, o.leaveMs);
  });
}

async function leftovers(url: string, pid: string, enginePort: number) {
  const h = await health(url);
  const m = (await (await fetch(`${url}/_vlrerank/metrics`)).text()).split('\n');
  const gauge = (re: RegExp) => m.filter((l) => re.test(l)).map((l) => Number(l.split(' ').pop())).reduce((a, b) => a + b, 0);
  let ffmpeg = 0;
  try { ffmpeg = execFileSync('pgrep', ['-P', pid, 'ff'], { encoding: 'utf8' }).trim().split('\n').filter(Boolean).length; } catch { /* none */ }
  const tmp = execFileSync('sh', ['-c', 'ls -d /tmp/vlrerank-* 2>/dev/null | wc -l'], { encoding: 'utf8' }).trim();
  const tasks = (await (await fetch(`${engineUrl}/_tasks?actions=*search*,*bulk*&detailed=false`)).json()) as { nodes?: Record<string, { tasks: object }> };
  const engineTasks = Object.values(tasks.nodes ?? {}).reduce((a, n) => a + Object.keys(n.tasks).length, 0);
  return { inFlight: gauge(/^vlrerank_requests_in_flight\{route="(?!admin)/), poolRunning: gauge(/^vlrerank_upstream_pool\{.*what="running"/), admission: h && { in_flight: h.in_flight, queued: h.queued, docs: h.in_flight_documents, qdocs: h.queued_documents }, ffmpeg, tmp: Number(tmp), engineTasks, fds: gauge(/^vlrerank_process_open_fds/), upstreamConns: conns(pid, enginePort) };
}

if (which === 'vanish') {
  const coco = `${DATA}/coco-captions-mini/images/val2017`;
  const photos = readFileSync(`${DATA}/coco-captions-mini/captions.jsonl`, 'utf8').trim().split('\n').map((l) => `${DATA}/coco-captions-mini/${(JSON.parse(l) as { image: string }).image}`);
  let k = Number(process.env.OFFSET ?? 0);
  const fresh = (n: number) => Array.from({ length: n }, () => photos[k++ % photos.length]!);
  const b64 = (n: number) => fresh(n).map((f) => ({ image: `data:image/jpeg;base64,${readFileSync(f).toString('base64')}` }));
  const jhead = (method: string, path: string, len: number, ct = 'application/json') => `${method} ${path} HTTP/1.1\r\nHost: x\r\nContent-Type: ${ct}\r\nContent-Length: ${len}\r\n\r\n`;
  const video = `${DATA}/intel-sample-videos/clips/classroom.mp4`;
  void coco;
  const stages: [string, () => { head: string; body: Buffer; leaveMs: number; chunks?: number; gapMs?: number }][] = [
    ['during headers', () => ({ head: 'POST /p24a-g/_search HTTP/1.1\r\nHost: x\r\nContent-Ty', body: Buffer.alloc(0), leaveMs: 300 })],
    ['mid-body _bulk with media', () => { const b = Buffer.from(fresh(20).map((f, i) => `{"index":{"_index":"p24a-g","_id":"v-${i}"}}\n${JSON.stringify({ title: 'gone', image: `data:image/jpeg;base64,${readFileSync(f).toString('base64')}` })}\n`).join('')); return { head: jhead('POST', '/_bulk', b.length, 'application/x-ndjson'), body: b, leaveMs: 600, chunks: 10, gapMs: 100 }; }],
    ['mid-body /v1/rerank 50 photos', () => { const b = Buffer.from(JSON.stringify({ query: 'a dog', documents: b64(50) })); return { head: jhead('POST', '/v1/rerank', b.length), body: b, leaveMs: 600, chunks: 10, gapMs: 100 }; }],
    ['while models run /v1/rerank 50 photos', () => { const b = Buffer.from(JSON.stringify({ query: 'a dog', documents: fresh(50).map((image) => ({ image })) })); return { head: jhead('POST', '/v1/rerank', b.length), body: b, leaveMs: 1500 }; }],
    ['while first stage runs (reranked, window 300)', () => { const b = Buffer.from(bigSearch(true)); return { head: jhead('POST', '/p24a-g/_search', b.length), body: b, leaveMs: 60 }; }],
    ['mid-answer write (reranked, window 300)', () => { const b = Buffer.from(bigSearch(true)); return { head: jhead('POST', '/p24a-g/_search', b.length), body: b, leaveMs: 2500 }; }],
    ['while ffmpeg runs (video)', () => { const b = Buffer.from(JSON.stringify({ query: 'a classroom', documents: [{ video, fps: 4 }, { text: 'x' }] })); return { head: jhead('POST', '/v1/rerank', b.length), body: b, leaveMs: 700 }; }],
    ['mid-body passthrough _bulk', () => { const b = Buffer.from(Array.from({ length: 2000 }, (_, i) => `{"index":{"_index":"p24a-plain","_id":"${i}"}}\n{"t":"${'x'.repeat(200)}"}\n`).join('')); return { head: jhead('POST', '/_bulk', b.length, 'application/x-ndjson'), body: b, leaveMs: 500, chunks: 20, gapMs: 50 }; }],
  ];
  const only = process.env.ONLY;
  for (const [name, make] of stages) {
    if (only && !name.includes(only)) continue;
    for (const rst of [false, true]) {
      const c = make();
      const got = await leaveAt(proxyUrl, c.head, c.body, { ...c, rst });
      await sleep(Number(process.env.SETTLE ?? 4000));
      console.log(JSON.stringify({ name, rst, got, after: await leftovers(proxyUrl, pidArg, hp(engineUrl).port) }));
    }
  }
  // queued in admission: fill the slots with heavy calls, then leave from the queue
  if (!only || 'queued'.includes(only)) {
    for (const rst of [false, true]) {
      const heavy = () => { const b = Buffer.from(JSON.stringify({ query: 'a cat', documents: fresh(40).map((image) => ({ image })) })); return b; };
      const hold = Array.from({ length: 6 }, () => { const b = heavy(); return leaveAt(proxyUrl, jhead('POST', '/v1/rerank', b.length), b, { leaveMs: 2500, rst }); });
      await sleep(800);
      const mid = await health(proxyUrl);
      await Promise.all(hold);
      await sleep(4000);
      console.log(JSON.stringify({ name: 'queued in admission (6 heavy, all leave at 2.5 s)', rst, during: mid && { in_flight: mid.in_flight, queued: mid.queued }, after: await leftovers(proxyUrl, pidArg, hp(engineUrl).port) }));
    }
  }
}

if (which === 'retry-writes') {
  const photos = readFileSync(`${DATA}/coco-captions-mini/captions.jsonl`, 'utf8').trim().split('\n').map((l) => `${DATA}/coco-captions-mini/${(JSON.parse(l) as { image: string }).image}`);
  const out: Record<string, unknown>[] = [];
  for (const [tag, url] of [['proxy', proxyUrl], ['engine', engineUrl]] as const) {
    const index = `p24a-retry-${tag}`;
    await fetch(`${engineUrl}/${index}`, { method: 'DELETE' });
    if (tag === 'proxy') execFileSync('npx', ['tsx', 'src/cli/main.ts', 'index', 'setup', index, '-c', process.env.CONFIG ?? '/tmp/p24a/config-es.yaml'], { stdio: 'ignore' });
    let sent = 0;
    for (let round = 0; round < 8; round++) {
      const docs = Array.from({ length: 6 }, (_, i) => ({ id: `r${round}-${i}`, body: { title: `retry ${round} ${i}`, image: photos[(round * 6 + i + 100) % photos.length] } }));
      const nd = Buffer.from(docs.map((d) => `{"index":{"_index":"${index}","_id":"${d.id}"}}\n${JSON.stringify(d.body)}\n`).join(''));
      const head = `POST /_bulk HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-ndjson\r\nContent-Length: ${nd.length}\r\n\r\n`;
      await leaveAt(url, head, nd, { leaveMs: 100 + round * 150, rst: round % 2 === 0 });
      const r = await fetch(`${url}/_bulk`, { method: 'POST', headers: { 'content-type': 'application/x-ndjson' }, body: nd });
      const j = (await r.json()) as { errors: boolean; items: { index: { _version?: number; status: number } }[] };
      sent += docs.length;
      out.push({ tag, round, status: r.status, errors: j.errors, versions: j.items.map((i) => i.index._version).join('') });
      // a _doc PUT with op_type=create, cut then retried: 201 or 409 (the first attempt stored it), as on the engine
      const one = Buffer.from(JSON.stringify({ title: `create ${round}`, image: photos[round + 200] }));
      await leaveAt(url, `PUT /${index}/_create/c${round} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${one.length}\r\n\r\n`, one, { leaveMs: 50 + round * 100, rst: round % 2 === 1 });
      const c = await fetch(`${url}/${index}/_create/c${round}`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: one });
      out.push({ tag, round, create: c.status });
      sent++;
    }
    await fetch(`${engineUrl}/${index}/_refresh`, { method: 'POST' });
    const count = (await (await fetch(`${engineUrl}/${index}/_count`)).json()) as { count: number };
    const vec = tag === 'proxy' ? ((await (await fetch(`${engineUrl}/${index}/_count`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: { exists: { field: 'image_vector' } } }) })).json()) as { count: number }).count : undefined;
    console.log(JSON.stringify({ tag, sent, stored: count.count, withVectors: vec }));
  }
  for (const o of out) console.log(JSON.stringify(o));
}

if (which === 'pipelining') {
  // on the engine, the same search without `ext` (the engine knows no vlrerank)
  let direct = false;
  const rr = (q: string) => req('POST', `/p24a-g/_search?filter_path=hits.hits._id,vlrerank.pipeline`, JSON.stringify({ size: 2, query: { match: { title: q } }, ...(direct ? {} : { ext: { vlrerank: { query: { text: q } } } }) }));
  const plain = (q: string) => req('POST', `/p24a-g/_search?filter_path=hits.hits._id`, JSON.stringify({ size: 2, query: { match: { title: q } } }));
  const seqs = (): [string, string, boolean][] => [
    ['mixed 6', rr('banana') + plain('milk') + rr('tomato') + req('GET', '/p24a-g/_count') + plain('apple') + rr('juice'), false],
    ['Connection: close second of 4', plain('milk') + req('GET', '/p24a-g/_count', '', 'Connection: close\r\n') + rr('banana') + plain('apple'), true],
    ['Connection: close on a reranked one', rr('tomato') + rr('banana').replace('Host: x\r\n', 'Host: x\r\nConnection: close\r\n') + plain('apple'), true],
  ];
  for (const [k, [name, , engineToo]] of seqs().entries()) {
    for (const [tag, url] of [['proxy', proxyUrl], ...(engineToo ? [['engine', engineUrl]] : [])] as const) {
      direct = tag === 'engine';
      const r = await exchange(url, seqs()[k]![1], { timeoutMs: 60_000 });
      const bodies = r.text.split(/HTTP\/1\.1 /).slice(1).map((x) => `${x.slice(0, 3)} ${(/\{.*\}/s.exec(x)?.[0] ?? '').replace(/"_id":/g, '').slice(0, 90)}`);
      console.log(JSON.stringify({ name, tag, how: r.how, ms: r.ms, answers: bodies }));
    }
  }
}
