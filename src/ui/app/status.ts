/**
 * Status page: upstream health (GET /_vlrerank/health), and from the Prometheus text of
 * /_vlrerank/metrics the request count, the rerank latency (stage "total"), the feature cache hit
 * ratio and size, drawn as small inline SVG charts from samples polled every 2 s. No external service.
 */
import { at, explain, text } from './api.js';
import { h, s, fmtMs, fmtBytes } from './dom.js';
import { message } from './widgets.js';

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** Parse the Prometheus text exposition format (enough of it: no timestamps, no escapes beyond \"). */
export function parseProm(t: string): Sample[] {
  const out: Sample[] = [];
  for (const line of t.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][\w:]*)(\{(.*)\})?\s+(\S+)/.exec(line);
    if (!m) continue;
    const labels: Record<string, string> = {};
    for (const l of (m[3] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) labels[l[1]!] = l[2]!;
    out.push({ name: m[1]!, labels, value: Number(m[4]) });
  }
  return out;
}

const sum = (xs: Sample[], name: string, f: (l: Record<string, string>) => boolean = () => true) =>
  xs.filter((x) => x.name === name && f(x.labels)).reduce((a, x) => a + x.value, 0);

interface Point {
  t: number;
  requests: number;
  latencySum: number;
  latencyCount: number;
}

export function statusPage(root: HTMLElement): void {
  const health = h('section.panel', { 'aria-label': 'health' });
  const stats = h('section.panel', { 'aria-label': 'metrics' });
  const charts = h('section.panel.charts', { 'aria-label': 'charts' });
  health.append(h('h2', { text: 'Health' }), message('info', 'Asking the server…'));
  stats.append(h('h2', { text: 'Counters' }), message('info', 'Asking the server…'));
  root.append(h('h1', { text: 'Status' }), h('div.grid3', {}, [health, stats]), charts);
  const history: Point[] = [];
  let lastHealth: Health | undefined;

  const tick = async () => {
    // `root` is the page's <main>, which every page reuses: the panels tell whether this page is
    // still shown (held-out probe round 12c: each visit left a poller running for good)
    if (!health.isConnected) return;
    try {
      // red answers 503 with the same body: read it either way
      const { res, parsed } = await bounded(async (signal) => {
        const res = await fetch(at('/_vlrerank/health'), { signal });
        const parsed: unknown = await res.json().catch((e: unknown) => {
          if (signal.aborted) throw e;
          return undefined;
        });
        return { res, parsed };
      });
      const b: Health = parsed && typeof parsed === 'object' && !Array.isArray(parsed) ? (parsed as Health) : { status: res.ok ? 'unknown' : `HTTP ${res.status}`, answer: parsed };
      lastHealth = b;
      const st = String(b.status ?? 'unknown');
      const nodes = b.upstream?.nodes ?? [];
      const eng = b.upstream?.engine;
      health.replaceChildren(
        h('h2', { text: 'Health' }),
        h(`p.badge.${st}` as 'p', { text: st, 'data-health': st }),
        h('dl.kv', {}, [
          ...(eng ? kv('engine', `${eng.distribution ?? ''} ${eng.version ?? ''}`) : []),
          ...nodes.flatMap((n) => kv(`node ${n.url ?? n.node ?? ''}`, n.reachable ? `reachable${typeof n.ms === 'number' ? ` (${fmtMs(n.ms)})` : ''}` : `DOWN ${n.error ?? ''}`)),
          ...(b.version ? kv('vlrerank', `${b.version}, up ${b.uptime_s ?? '?'} s`) : []),
          ...Object.keys(b)
            .filter((k) => !['status', 'name', 'version', 'uptime_s', 'memory', 'upstream'].includes(k))
            .flatMap((k) => kv(k, summary(b[k]))),
        ]),
        pre(b),
      );
    } catch (e) {
      showError(health, 'Health', explain(e, 'Health'));
    }
    try {
      const xs = parseProm(await bounded((signal) => text('/_vlrerank/metrics', signal)));
      const byRoute = new Map<string, number>();
      for (const x of xs.filter((x) => x.name === 'vlrerank_requests_total')) byRoute.set(x.labels.route ?? '?', (byRoute.get(x.labels.route ?? '?') ?? 0) + x.value);
      // the extractor's own cache counts as feature_hit/feature_miss; plain hit/miss otherwise
      const ev = (e: string) => sum(xs, 'vlrerank_feature_cache_events_total', (l) => l.event === e);
      const own = ev('feature_hit') + ev('feature_miss') > 0;
      const hits = own ? ev('feature_hit') : ev('hit');
      const misses = own ? ev('feature_miss') : ev('miss');
      // size: a cache gauge in the metrics, else a cache section of the health answer ({bytes, entries})
      const cacheSection = findCacheStats(lastHealth);
      const cacheBytes = xs.find((x) => /cache/.test(x.name) && /bytes/.test(x.name) && !x.name.endsWith('_max_bytes'))?.value ?? cacheSection?.bytes;
      const cacheEntries = xs.find((x) => /cache/.test(x.name) && /(entries|items|size)$/.test(x.name))?.value ?? cacheSection?.entries;
      const latSum = sum(xs, 'vlrerank_stage_seconds_sum', (l) => l.stage === 'total');
      const latCount = sum(xs, 'vlrerank_stage_seconds_count', (l) => l.stage === 'total');
      const failures = sum(xs, 'vlrerank_failures_total');
      const rss = xs.find((x) => x.name === 'vlrerank_process_resident_memory_bytes')?.value;
      const total = [...byRoute.values()].reduce((a, b) => a + b, 0);
      history.push({ t: Date.now(), requests: total, latencySum: latSum, latencyCount: latCount });
      if (history.length > 90) history.shift();
      stats.replaceChildren(
        h('h2', { text: 'Counters' }),
        h('dl.kv', {}, [
          ...kv('requests', String(total)),
          ...[...byRoute].flatMap(([k, v]) => kv(`· ${k}`, String(v))),
          ...kv('errors answered', String(failures)),
          ...kv('rerank latency (mean)', latCount ? fmtMs((latSum / latCount) * 1000) : '–'),
          ...kv('feature cache hit ratio', hits + misses ? `${((100 * hits) / (hits + misses)).toFixed(1)} % (${hits}/${hits + misses})` : '– (no lookups yet)'),
          ...kv('feature cache size', cacheBytes !== undefined ? fmtBytes(cacheBytes) : cacheEntries !== undefined ? `${cacheEntries} entries` : '–'),
          ...kv('memory (rss)', rss !== undefined ? fmtBytes(rss) : '–'),
        ]),
      );
      const rate = history.slice(1).map((p, i) => ({ t: p.t, v: (p.requests - history[i]!.requests) / ((p.t - history[i]!.t) / 1000) }));
      const lat = history.slice(1).map((p, i) => {
        const dc = p.latencyCount - history[i]!.latencyCount;
        return { t: p.t, v: dc > 0 ? ((p.latencySum - history[i]!.latencySum) / dc) * 1000 : NaN };
      });
      charts.replaceChildren(h('h2', { text: 'Last 3 minutes' }), chart('requests / s', rate, (v) => v.toFixed(1)), chart('rerank latency (ms, mean per 2 s)', lat, (v) => v.toFixed(0)));
    } catch (e) {
      showError(stats, 'Counters', explain(e, 'Metrics'));
    }
    if (health.isConnected) setTimeout(() => void tick(), 2000);
  };
  void tick();
}

/**
 * A panel's error, kept as it is while the next polls say the same: a new alert every 2 s had a
 * screen reader say "Health failed…" again and again for as long as the server was away (held-out
 * probe round 17d).
 */
function showError(panel: HTMLElement, title: string, text: string): void {
  if (panel.querySelector('.msg.error')?.textContent === text) return;
  panel.replaceChildren(h('h2', { text: title }), message('error', text));
}

/** Longest wait for one status call: a server that never answers is said, not a blank panel. */
const ANSWER_MS = 10_000;

/** Runs one call with an abort after ANSWER_MS (a plain timer, so a paused or faked clock governs it too). */
async function bounded<T>(f: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const ac = new AbortController();
  const timer = setTimeout(() => ac.abort(), ANSWER_MS);
  try {
    return await f(ac.signal);
  } catch (e) {
    if (ac.signal.aborted) throw new Error(`no answer from the server in ${ANSWER_MS / 1000} s`);
    throw e;
  } finally {
    clearTimeout(timer);
  }
}

interface Health {
  status?: string;
  version?: string;
  uptime_s?: number;
  upstream?: { nodes?: Array<{ url?: string; node?: string; reachable?: boolean; ms?: number; error?: string }>; engine?: { distribution?: string; version?: string } };
  [k: string]: unknown;
}

/** One line for a health section another area added (models, caches…). */
function summary(v: unknown): string {
  if (v === null || typeof v !== 'object') return String(v);
  const o = v as Record<string, unknown>;
  const parts = Object.entries(o)
    .filter(([, x]) => x === null || typeof x !== 'object')
    .slice(0, 4)
    .map(([k, x]) => `${k}: ${String(x)}`);
  return parts.length ? parts.join(', ') : `${Object.keys(o).length} entries (see details)`;
}

/** The first object under a cache-ish key of the health answer that reports bytes or entries. */
function findCacheStats(o: unknown, depth = 0): { bytes?: number; entries?: number } | undefined {
  if (!o || typeof o !== 'object' || depth > 3) return undefined;
  for (const [k, v] of Object.entries(o as Record<string, unknown>)) {
    if (!v || typeof v !== 'object') continue;
    const r = v as Record<string, unknown>;
    if (/cache/i.test(k) && (typeof r.bytes === 'number' || typeof r.entries === 'number')) {
      return { bytes: typeof r.bytes === 'number' ? r.bytes : undefined, entries: typeof r.entries === 'number' ? r.entries : undefined };
    }
    const inner = findCacheStats(v, depth + 1);
    if (inner) return inner;
  }
  return undefined;
}

function kv(k: string, v: string): HTMLElement[] {
  return [h('dt', { text: k }), h('dd', { text: v })];
}

function pre(o: unknown): HTMLElement {
  return h('details', {}, [h('summary', { text: 'details' }), h('pre', { text: JSON.stringify(o, null, 2) })]);
}

/** A tiny line chart: polyline over the points, min/max labels; gaps (NaN) break the line. */
function chart(title: string, pts: Array<{ t: number; v: number }>, fmt: (v: number) => string): HTMLElement {
  const W = 320;
  const H = 80;
  const vals = pts.map((p) => p.v).filter(Number.isFinite);
  const max = Math.max(1e-9, ...vals);
  const t0 = pts[0]?.t ?? 0;
  const t1 = pts[pts.length - 1]?.t ?? 1;
  const x = (t: number) => (t1 > t0 ? ((t - t0) / (t1 - t0)) * (W - 2) + 1 : 1);
  const y = (v: number) => H - 2 - (v / max) * (H - 4);
  const segs: string[][] = [[]];
  for (const p of pts) {
    if (!Number.isFinite(p.v)) segs.push([]);
    else segs[segs.length - 1]!.push(`${x(p.t).toFixed(1)},${y(p.v).toFixed(1)}`);
  }
  const last = vals[vals.length - 1];
  const svg = s('svg', { viewBox: `0 0 ${W} ${H}`, width: '100%', height: H, role: 'img', 'aria-label': `${title}: latest ${last === undefined ? 'none' : fmt(last)}, max ${fmt(max)}` }, [
    s('rect', { x: 0, y: 0, width: W, height: H, class: 'chart-bg' }),
    ...segs.filter((sg) => sg.length).map((sg) => s('polyline', { points: sg.join(' '), class: 'chart-line', fill: 'none' })),
  ]);
  return h('figure.chart', {}, [svg, h('figcaption', { text: `${title} — latest ${last === undefined ? '–' : fmt(last)}, max ${vals.length ? fmt(max) : '–'}` })]);
}
