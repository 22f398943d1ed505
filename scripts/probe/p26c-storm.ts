/**
 * Held-out probe round 26c: a search box wired to a reranked `_search` on every keystroke. U users
 * each type a product name at K keystrokes a second; each keystroke's request goes out on a socket
 * of its own and is abandoned (the socket destroyed, as a browser's AbortController does) when the
 * next keystroke comes; the last keystroke's answer is kept and timed. Then the same last searches
 * alone, one at a time. Metrics before and after: model runs, admission, shed (429), searches.
 *
 *   [P26C_WORDS=desc P26C_SALT=…] npx tsx scripts/probe/p26c-storm.ts http://127.0.0.1:19520 [users=4] [keys/s=8] [rounds=3]
 */
import http from 'node:http';
import { rows } from './p26c-lib.js';

const base = new URL(process.argv[2] ?? 'http://127.0.0.1:19520');
const users = Number(process.argv[3] ?? 4);
const kps = Number(process.argv[4] ?? 8);
const rounds = Number(process.argv[5] ?? 3);
const clientQuery = process.env.P26C_QUERY === 'prefix';

function body(q: string): string {
  return JSON.stringify({ size: 10, _source: ['title'], ...(clientQuery ? { query: { match_bool_prefix: { name: q } } } : {}), ext: { vlrerank: { query: { text: q } } } });
}
/** One search on a fresh socket; `abort()` destroys the socket. */
function send(q: string): { done: Promise<{ status: number; ms: number; top?: string; degraded?: unknown }>; abort: () => void } {
  const t0 = performance.now();
  const b = body(q);
  const req = http.request({ host: base.hostname, port: base.port, path: '/p26c-g/_search', method: 'POST', agent: false, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(b) } });
  const done = new Promise<{ status: number; ms: number; top?: string; degraded?: unknown }>((res) => {
    req.on('response', (r) => {
      let s = '';
      r.on('data', (c) => (s += c));
      r.on('end', () => {
        const j = JSON.parse(s);
        res({ status: r.statusCode!, ms: performance.now() - t0, top: j.hits?.hits?.[0]?._id, degraded: j.vlrerank?.degraded });
      });
      r.on('error', () => res({ status: -1, ms: performance.now() - t0 }));
    });
    req.on('error', () => res({ status: -1, ms: performance.now() - t0 }));
  });
  req.end(b);
  return { done, abort: () => req.destroy() };
}
async function metrics(): Promise<Map<string, number>> {
  const t = await (await fetch(new URL('/_vlrerank/metrics', base))).text();
  const m = new Map<string, number>();
  for (const l of t.split('\n')) {
    const x = /^(vlrerank_(?:model_runs_total|rerank_admission|rerank_shed_total|reranked_searches_total|requests_total|failures_total|requests_in_flight|stage_seconds_count)\S*) (\S+)$/.exec(l);
    if (x) m.set(x[1]!, Number(x[2]));
  }
  return m;
}
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(p * xs.length))]!;

// P26C_WORDS=desc: the first words of each description (texts no earlier run typed, so every
// keystroke's query embedding is computed, not read from the store)
const salt = process.env.P26C_SALT ?? '';
const words = (process.env.P26C_WORDS === 'desc' ? rows.map((r) => `${salt}${r.description.toLowerCase().split(/\s+/).slice(0, 4).join(' ')}`) : rows.map((r) => r.class_name.toLowerCase().replace(/-/g, ' '))).filter((w) => w.length >= 6);
const stormLast: number[] = [];
const aloneLast: number[] = [];
const statuses = new Map<number, number>();
let keystrokes = 0;
const before = await metrics();
for (let round = 0; round < rounds; round++) {
  const mine = Array.from({ length: users }, (_, u) => words[(round * users + u) % words.length]!);
  const t0 = performance.now();
  const lasts = await Promise.all(
    mine.map(async (w, u) => {
      await sleep(u * 37);
      let prev: ReturnType<typeof send> | undefined;
      for (let n = 1; n <= w.length; n++) {
        prev?.abort();
        prev = send(w.slice(0, n));
        keystrokes++;
        if (n < w.length) await sleep(1000 / kps);
      }
      const r = await prev!.done;
      statuses.set(r.status, (statuses.get(r.status) ?? 0) + 1);
      stormLast.push(r.ms);
      return { w, ...r };
    }),
  );
  console.log(`round ${round} (${Math.round(performance.now() - t0)} ms):`, lasts.map((l) => `${l.w}→${l.top} ${l.status} ${Math.round(l.ms)}ms${l.degraded ? ` degraded=${l.degraded}` : ''}`).join(' | '));
  await sleep(1500);
  // the same last searches alone (their query embeddings may now be cached: also a fresh word)
  for (const w of mine) {
    const r = await send(w).done;
    aloneLast.push(r.ms);
  }
}
await sleep(1000);
const after = await metrics();
console.log(`keystrokes ${keystrokes}, kept ${stormLast.length}; kept statuses`, Object.fromEntries(statuses));
console.log(`kept under storm p50 ${pct(stormLast, 0.5).toFixed(0)} max ${Math.max(...stormLast).toFixed(0)} ms; alone p50 ${pct(aloneLast, 0.5).toFixed(0)} max ${Math.max(...aloneLast).toFixed(0)} ms; ratio p50 ${(pct(stormLast, 0.5) / pct(aloneLast, 0.5)).toFixed(2)}`);
for (const [k, v] of after) {
  const d = v - (before.get(k) ?? 0);
  if (d !== 0 || /admission|in_flight/.test(k)) console.log(`  ${k} ${/admission|in_flight/.test(k) ? `now ${v}` : `+${d}`}`);
}
