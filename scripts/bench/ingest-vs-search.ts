/**
 * `npm run bench:ingest-vs-search [-- --docs 500 --searches 24 --group 4 --budget 500 --rounds 2 --only new|old --new-first]`:
 * held-out probe round 10b's scenario, old vs new in one run. A proxied `_bulk` of SciFact
 * abstracts into an index whose pipeline keeps feature records (every abstract embedded at
 * ingest), while reranked searches with a short `budget_ms` run one after another on another
 * index without records (each search's documents embedded on the fly: each search filters its own
 * group, so no search finds another's vectors cached). The two indices hold different abstracts.
 *
 * old = `models.ingestLane: foreground` (ingest's documents and a search's in one queue, the
 * behaviour before lanes); new = `background` (the default). Each phase is a fresh server in this
 * process (empty feature cache, no disk tier) after a warm-up, on a fresh bulk index. Prints, per
 * phase, degraded searches, search p50/p99 (and p50 of searches before the `_bulk`, on the same
 * server: the machine's own speed then), the `_bulk`'s duration and docs/s; then each lane's phases
 * pooled and the ratios new/old. Rounds alternate the order (ABBA): other load on a shared machine
 * moves single phases a lot.
 * The searches run while the `_bulk` runs; a search started after it ended is counted apart.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { engineUrl } from '../engines.js';
import { parseConfig } from '../../src/config/load.js';
import { setupIndex } from '../../src/engine/mapping.js';
import { startServer, type RunningServer } from '../../src/server/start.js';
import { DATA, MODELS } from '../../test/helpers/paths.js';

const argv = process.argv.slice(2);
const opt = (n: string, d: number) => (argv.includes(n) ? Number(argv[argv.indexOf(n) + 1]) : d);
const DOCS = opt('--docs', 500);
const SEARCHES = opt('--searches', 24);
const GROUP = opt('--group', 4);
const BUDGET = opt('--budget', 500);
const ROUNDS = opt('--rounds', 2);
const ONLY = argv.includes('--only') ? argv[argv.indexOf('--only') + 1] : undefined;
const ES = engineUrl('elasticsearch');
/** Searches run before the `_bulk` (their own groups): the idle figure. */
const IDLE = 6;
const SEARCH_INDEX = 'lanes-bench-search';
const BULK_INDEX = 'lanes-bench-bulk';

const PIPELINES: Record<string, string> = {
  'lanes-bench-bulk.yaml': `name: lanes-bench-bulk
index_patterns: [${BULK_INDEX}*]
fields: { text: [title, text] }
first_stage: { text_query: bm25, match_fields: [title, text] }
window: { default: 10, max: 50 }
budget_ms: 10000
failure: fail_open
features: { store: index }
`,
  'lanes-bench-search.yaml': `name: lanes-bench-search
index_patterns: [${SEARCH_INDEX}*]
fields: { text: [title, text] }
first_stage: { text_query: bm25, match_fields: [title, text] }
window: { default: ${GROUP}, max: 50 }
budget_ms: ${BUDGET}
failure: fail_open
features: { store: none }
`,
};

interface Abstract {
  _id: string;
  title: string;
  text: string;
}
const corpus: Abstract[] = readFileSync(join(DATA, 'scifact-beir', 'corpus.jsonl'), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Abstract);
const claims: string[] = readFileSync(join(DATA, 'scifact-beir', 'queries.jsonl'), 'utf8').split('\n').filter(Boolean).map((l) => (JSON.parse(l) as { text: string }).text);

async function es(method: string, path: string, body?: unknown): Promise<any> {
  const r = await fetch(`${ES}${path}`, { method, headers: { 'content-type': body && typeof body === 'string' ? 'application/x-ndjson' : 'application/json' }, body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body) });
  return r.json();
}

/** The search index: SEARCHES groups of GROUP abstracts (from the second thousand: none is in the bulk), written to the engine directly. */
async function searchIndex(): Promise<void> {
  const want = (SEARCHES + IDLE) * GROUP;
  const have = await es('GET', `/${SEARCH_INDEX}/_count`).catch(() => undefined);
  if (have?.count === want) return;
  await es('DELETE', `/${SEARCH_INDEX}`);
  await es('PUT', `/${SEARCH_INDEX}`, { mappings: { properties: { title: { type: 'text' }, text: { type: 'text' }, group: { type: 'integer' } } } });
  const docs = corpus.slice(2000, 2000 + want);
  const nd = docs.flatMap((d, i) => [JSON.stringify({ index: { _id: d._id } }), JSON.stringify({ title: d.title, text: d.text, group: Math.floor(i / GROUP) })]).join('\n') + '\n';
  const r = await es('POST', `/${SEARCH_INDEX}/_bulk?refresh=true`, nd);
  if (r.errors) throw new Error('search index: bulk errors');
}

function quantile(xs: number[], q: number): number {
  if (!xs.length) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil(q * s.length) - 1)]!;
}

interface Phase {
  lane: 'foreground' | 'background';
  bulkMs: number;
  bulkErrors: boolean;
  during: { ms: number; degraded: string | false }[];
  idle: { ms: number; degraded: string | false }[];
  after: number;
  /** The text model's queue per lane over the phase: texts taken and their mean wait. */
  lanes: string;
}

/** One reranked search on group `g`, the claim `g` as its query. */
async function search(url: string, g: number): Promise<{ ms: number; degraded: string | false }> {
  const claim = claims[g]!;
  const t = performance.now();
  const r = await fetch(`${url}/${SEARCH_INDEX}/_search`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ size: GROUP, _source: false, query: { bool: { should: { multi_match: { query: claim, fields: ['title', 'text'] } }, filter: { term: { group: g } } } }, ext: { vlrerank: { query: { text: claim }, window: GROUP } } }),
  });
  const j = (await r.json()) as { vlrerank?: { degraded?: string | false } };
  if (r.status !== 200) throw new Error(`search ${g}: ${r.status} ${JSON.stringify(j).slice(0, 300)}`);
  return { ms: performance.now() - t, degraded: j.vlrerank?.degraded ?? false };
}

async function phase(lane: 'foreground' | 'background', pipelinesDir: string, port: number): Promise<Phase> {
  const config = parseConfig({
    server: { host: '127.0.0.1', port, ui: false },
    upstream: { urls: [ES] },
    log: { level: 'silent', access: false },
    models: { dir: MODELS, ingestLane: lane },
    pipelines: { dir: pipelinesDir },
    rerank: { admission: { maxQueueWaitMs: 300_000 } },
  });
  const srv: RunningServer = await startServer(config);
  try {
    await srv.services.reranker.warmup();
    // the text model's first runs, on texts neither index holds
    await fetch(`${srv.url}/v1/rerank`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: 'warm up', documents: corpus.slice(4000, 4008).map((d) => d.text) }) });
    const text = await srv.services.models.textEmbedder();
    const idle: Phase['idle'] = [];
    for (let k = 0; k < IDLE; k++) idle.push(await search(srv.url, SEARCHES + k));
    const bulkIndex = `${BULK_INDEX}-${lane}`;
    await es('DELETE', `/${bulkIndex}`);
    await setupIndex(srv.services.engine, srv.services.pipelines.get('lanes-bench-bulk')!, bulkIndex); // with the record fields
    const nd = corpus.slice(0, DOCS).flatMap((d) => [JSON.stringify({ index: { _id: d._id } }), JSON.stringify({ title: d.title, text: d.text })]).join('\n') + '\n';
    let bulkDone = false;
    const t0 = performance.now();
    const bulk = fetch(`${srv.url}/${bulkIndex}/_bulk`, { method: 'POST', headers: { 'content-type': 'application/x-ndjson' }, body: nd })
      .then(async (r) => ({ status: r.status, body: (await r.json()) as { errors?: boolean } }))
      .finally(() => (bulkDone = true));
    const bulkMs = bulk.then(() => performance.now() - t0);
    await new Promise((r) => setTimeout(r, 1000)); // ingest under way
    const during: Phase['during'] = [];
    let after = 0;
    for (let g = 0; g < SEARCHES; g++) {
      const s = await search(srv.url, g);
      if (bulkDone) after++;
      else during.push(s);
    }
    const b = await bulk;
    if (b.status !== 200) throw new Error(`bulk: ${b.status}`);
    await es('POST', `/${bulkIndex}/_refresh`);
    const recorded = await es('GET', `/${bulkIndex}/_count?q=_exists_:${srv.services.pipelines.get('lanes-bench-bulk')!.features.keyField}`);
    if (recorded.count !== DOCS) throw new Error(`bulk: ${recorded.count} of ${DOCS} documents have a record`);
    const l = text.queue().lanes;
    const lanes = (['query', 'foreground', 'background'] as const).map((k) => `${k} ${l[k].taken} (mean wait ${l[k].taken ? (l[k].waitedMs / l[k].taken).toFixed(0) : 0} ms)`).join(', ');
    return { lane, bulkMs: await bulkMs, bulkErrors: !!b.body.errors, during, idle, after, lanes };
  } finally {
    await srv.close();
  }
}

function line(p: Phase): void {
  const ms = p.during.map((d) => d.ms);
  const degraded = p.during.filter((d) => d.degraded).length;
  const reasons = [...new Set(p.during.filter((d) => d.degraded).map((d) => d.degraded))].join(', ');
  const idle = p.idle.map((d) => d.ms);
  process.stdout.write(
    `${p.lane === 'foreground' ? 'old (one queue)    ' : 'new (ingest lane)  '} searches during the _bulk: ${p.during.length}, degraded ${degraded}${reasons ? ` (${reasons})` : ''}; ` +
      `p50 ${quantile(ms, 0.5).toFixed(0)} ms, p99 ${quantile(ms, 0.99).toFixed(0)} ms (idle, before the _bulk: p50 ${quantile(idle, 0.5).toFixed(0)} ms, ${p.idle.filter((d) => d.degraded).length}/${idle.length} degraded)${p.after ? `; ${p.after} ran after it ended (not counted)` : ''}; ` +
      `_bulk of ${DOCS}: ${(p.bulkMs / 1000).toFixed(1)} s (${((DOCS * 1000) / p.bulkMs).toFixed(1)} docs/s)${p.bulkErrors ? ', WITH ERRORS' : ''}; load ${loadavg()[0]!.toFixed(1)}\n    text model texts taken by lane: ${p.lanes}\n`,
  );
}

/** Every phase of one lane pooled: searches' degraded count and p50/p99, the idle p50, the mean _bulk duration. */
function pooled(ps: Phase[]): { n: number; degraded: number; p50: number; p99: number; idle50: number; bulkMs: number } {
  const ms = ps.flatMap((p) => p.during.map((d) => d.ms));
  return {
    n: ms.length,
    degraded: ps.reduce((a, p) => a + p.during.filter((d) => d.degraded).length, 0),
    p50: quantile(ms, 0.5),
    p99: quantile(ms, 0.99),
    idle50: quantile(ps.flatMap((p) => p.idle.map((d) => d.ms)), 0.5),
    bulkMs: ps.reduce((a, p) => a + p.bulkMs, 0) / ps.length,
  };
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'vlr-lanes-bench-'));
  for (const [f, text] of Object.entries(PIPELINES)) writeFileSync(join(dir, f), text);
  await searchIndex();
  process.stdout.write(`${DOCS} abstracts by proxied _bulk (records at ingest) while ${SEARCHES} reranked searches (window ${GROUP}, budget ${BUDGET} ms, documents without records) run one after another; ${ROUNDS} round(s); load ${loadavg()[0]!.toFixed(1)}\n`);
  const lanes: Array<'foreground' | 'background'> = ONLY === 'old' ? ['foreground'] : ONLY === 'new' ? ['background'] : ['foreground', 'background'];
  const phases: Phase[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    // rounds alternate the order (old new, new old, …; --new-first starts with new): a machine
    // getting busier or quieter during the run weighs on both alike
    const order = (r % 2 === 1) !== argv.includes('--new-first') ? [...lanes].reverse() : lanes;
    for (const lane of order) {
      const p = await phase(lane, dir, lane === 'foreground' ? 19800 : 19801);
      line(p);
      phases.push(p);
    }
  }
  if (lanes.length === 2) {
    const old = pooled(phases.filter((p) => p.lane === 'foreground'));
    const neu = pooled(phases.filter((p) => p.lane === 'background'));
    const ratio = (a: number, b: number) => (b > 0 ? (a / b).toFixed(2) : 'n/a');
    process.stdout.write(
      `pooled: old degraded ${old.degraded}/${old.n}, p50 ${old.p50.toFixed(0)} ms, p99 ${old.p99.toFixed(0)} ms (idle p50 ${old.idle50.toFixed(0)} ms), _bulk ${(old.bulkMs / 1000).toFixed(1)} s; ` +
        `new degraded ${neu.degraded}/${neu.n}, p50 ${neu.p50.toFixed(0)} ms, p99 ${neu.p99.toFixed(0)} ms (idle p50 ${neu.idle50.toFixed(0)} ms), _bulk ${(neu.bulkMs / 1000).toFixed(1)} s\n` +
        `new ÷ old: search p50 ${ratio(neu.p50, old.p50)}×, p99 ${ratio(neu.p99, old.p99)}×; search p50 over idle p50 ${ratio(neu.p50 / neu.idle50, 1)}× vs ${ratio(old.p50 / old.idle50, 1)}×; _bulk duration ${ratio(neu.bulkMs, old.bulkMs)}×\n`,
    );
  }
}

main().then(
  () => process.exit(0),
  (e) => {
    process.stderr.write(`${e instanceof Error ? e.stack : String(e)}\n`);
    process.exit(1);
  },
);
