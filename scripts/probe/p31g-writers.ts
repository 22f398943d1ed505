/**
 * Held-out probe round 31g: N clients writing the same few documents at once through vlrerank
 * (`_doc` PUT, `_update` partial, `_bulk` index/update; with and without `if_seq_no`, and
 * `version_type=external`) while other clients rerank searches over them. Afterwards, read from the
 * engine directly, counted violations:
 * - a stored record or vector describing another write's photo or text;
 * - a write answered 2xx lost (the acknowledged write of the highest `_seq_no` is not the final document);
 * - a 409 for a write that asked for no condition (vlrerank's own), any answer other than 2xx/409;
 * - a search answer not 200, or degraded; a hit whose rerank score is not that of its `_source` as
 *   returned (scored from a stale record), its `_version`/`_seq_no` not one a write answered.
 *   npx tsx scripts/probe/p31g-writers.ts [clients=8] [ops=15]   (P31G_BASE, P31G_ENGINE, P31G_TMP)
 */
import { BASE, DESCRIPTION, ENGINE, PHOTOS, TITLES, bump, call, checkStored, pick, referenceVectors, type Res, type Violations } from './p31g-lib.js';

const CLIENTS = Number(process.argv[2] ?? 8);
const OPS = Number(process.argv[3] ?? 15);
const INDEX = 'p31g-a1';
const IDS = ['r0', 'r1', 'r2'];
const v: Violations = {};
const detail: string[] = [];
const refs = await referenceVectors();

type Done = { result?: string; op: string; id: string; conditioned: boolean; status: number; seq?: number; term?: number; version?: number; wrote: Record<string, unknown>; whole: boolean; err?: string };
const done: Done[] = [];
let external = 1_000_000_000;

for (const id of IDS) {
  const r = await call(BASE, 'PUT', `/${INDEX}/_doc/${id}?refresh=true`, { title: TITLES[0], description: DESCRIPTION, image: PHOTOS[0] });
  done.push({ op: 'seed', id, conditioned: false, status: r.status, seq: r.json?._seq_no, term: r.json?._primary_term, version: r.json?._version, wrote: { title: TITLES[0], image: PHOTOS[0] }, whole: true });
}

async function current(id: string) {
  const g = await call(BASE, 'GET', `/${INDEX}/_doc/${id}`);
  return { seq: g.json?._seq_no as number, term: g.json?._primary_term as number };
}

async function one(): Promise<void> {
  const id = pick(IDS);
  const title = pick(TITLES);
  const image = pick(PHOTOS);
  const whole = { title, description: DESCRIPTION, image };
  const kind = pick(['put', 'put_cas', 'put_ext', 'upd_title', 'upd_photo', 'upd_both', 'upd_cas', 'upd_retry', 'bulk_index', 'bulk_update', 'bulk_update_cas']);
  const cas = kind.endsWith('_cas') ? await current(id) : undefined;
  const casQ = cas ? `&if_seq_no=${cas.seq}&if_primary_term=${cas.term}` : '';
  let r: Res;
  let wrote: Record<string, unknown> = whole;
  let isWhole = true;
  let item: any;
  if (kind.startsWith('put')) {
    const ext = kind === 'put_ext' ? `&version_type=external&version=${++external}` : '';
    r = await call(BASE, 'PUT', `/${INDEX}/_doc/${id}?refresh=false${casQ}${ext}`, whole);
  } else if (kind.startsWith('upd')) {
    isWhole = false;
    wrote = kind === 'upd_title' ? { title } : kind === 'upd_photo' ? { image } : { title, image };
    r = await call(BASE, 'POST', `/${INDEX}/_update/${id}?refresh=false${casQ}${kind === 'upd_retry' ? '&retry_on_conflict=3' : ''}`, { doc: wrote });
  } else {
    const action = kind === 'bulk_index' ? { index: { _index: INDEX, _id: id } } : { update: { _index: INDEX, _id: id, ...(cas ? { if_seq_no: cas.seq, if_primary_term: cas.term } : {}) } };
    if (kind !== 'bulk_index') {
      isWhole = false;
      wrote = { title, image };
    }
    r = await call(BASE, 'POST', '/_bulk', `${JSON.stringify(action)}\n${JSON.stringify(kind === 'bulk_index' ? whole : { doc: wrote })}\n`);
    item = r.status === 200 ? Object.values(r.json.items[0])[0] : undefined;
  }
  const a = item ?? r.json;
  const status = item ? item.status : r.status;
  if (r.json?.vlrerank?.error || item?.vlrerank?.error) bump(v, `note: vlrerank.error on a write (${(r.json?.vlrerank?.error ?? item?.vlrerank?.error).type})`);
  done.push({ result: a?.result, op: kind, id, conditioned: !!cas || kind === 'put_ext', status, seq: a?._seq_no, term: a?._primary_term, version: a?._version, wrote, whole: isWhole, err: a?.error?.type });
}

// searches meanwhile: text queries reranked over the documents, explain on to read each hit's rerank score
let searching = true;
const searches: Array<{ status: number; degraded?: string; hits: Array<{ id: string; seq: number; version: number; source: any; score: number }>; q: string }> = [];
async function searcher(): Promise<void> {
  while (searching) {
    const q = pick(TITLES);
    const r = await call(BASE, 'POST', `/${INDEX}/_search?seq_no_primary_term=true&version=true`, { size: 3, query: { match_all: {} }, ext: { vlrerank: { query: { text: q }, explain: true } } });
    searches.push({ status: r.status, degraded: r.json?.vlrerank?.degraded ? String(r.json.vlrerank.reason ?? r.json.vlrerank.degraded) : undefined, q, hits: (r.json?.hits?.hits ?? []).map((h: any) => ({ id: h._id, seq: h._seq_no, version: h._version, source: h._source, score: h._vlrerank?.rerank_score })) });
  }
}

const t0 = Date.now();
const search = [searcher(), searcher()];
await Promise.all(Array.from({ length: CLIENTS }, async () => {
  for (let i = 0; i < OPS; i++) await one();
}));
searching = false;
await Promise.all(search);
await call(ENGINE, 'POST', `/${INDEX}/_refresh`);
console.log(`${done.length} writes, ${searches.length} searches in ${((Date.now() - t0) / 1000).toFixed(1)} s`);

// writes: statuses
const statuses: Record<string, number> = {};
for (const d of done) statuses[`${d.op} ${d.status}${d.err ? ` ${d.err}` : ''}`] = (statuses[`${d.op} ${d.status}${d.err ? ` ${d.err}` : ''}`] ?? 0) + 1;
console.log('answers', statuses);
for (const d of done) {
  if (d.status === 409 && !d.conditioned && !d.op.startsWith('upd') && d.op !== 'bulk_update') bump(v, `VIOLATION 409 for a write without a condition (${d.op})`);
  if (d.status === 409 && !d.conditioned && (d.op.startsWith('upd') || d.op === 'bulk_update')) bump(v, `409 for an update without a condition (${d.op}; the engine's own without retry_on_conflict)`);
  if (d.status >= 300 && d.status !== 409) bump(v, `VIOLATION answer ${d.status} (${d.op})`);
}
// final documents: their record and vectors are their own; the last acknowledged write is the final one
for (const id of IDS) {
  const got = await checkStored(INDEX, id, 'p31g', refs, v, detail);
  const acked = done.filter((d) => d.id === id && d.status < 300 && d.seq !== undefined);
  const seqs = acked.filter((d) => d.result !== 'noop').map((d) => d.seq!); // a noop answers the version it found
  if (new Set(seqs).size !== seqs.length) bump(v, 'VIOLATION two writes answered with one _seq_no');
  const last = acked.sort((a, b) => b.seq! - a.seq!)[0]!;
  if (got._seq_no !== last.seq) {
    bump(v, 'VIOLATION final _seq_no is not the last acknowledged write\'s');
    detail.push(`${id} final seq ${got._seq_no} version ${got._version}, last acked ${last.op} seq ${last.seq}`);
  }
  for (const [k, val] of Object.entries(last.wrote)) if (got._source[k] !== val) {
    bump(v, 'VIOLATION the last acknowledged write is lost');
    detail.push(`${id} ${k}: ${got._source[k]} ≠ ${val} (${last.op})`);
  }
}
// searches: 200, not degraded; each hit's version answered to a write; its score that of its _source as returned
const versions = new Set(done.filter((d) => d.status < 300).map((d) => `${d.id} ${d.seq}`));
const truth = new Map<string, number>();
async function scoreOf(q: string, source: any): Promise<number | undefined> {
  const key = `${q}\u0000${source.title}\u0000${source.image}`;
  if (!truth.has(key)) {
    await call(BASE, 'PUT', `/p31g-aref/_doc/truth?refresh=true`, { title: source.title, description: source.description, image: source.image });
    const r = await call(BASE, 'POST', '/p31g-aref/_search', { size: 1, query: { ids: { values: ['truth'] } }, ext: { vlrerank: { query: { text: q }, explain: true } } });
    truth.set(key, r.json?.hits?.hits?.[0]?._vlrerank?.rerank_score);
  }
  return truth.get(key);
}
let checked = 0;
for (const s of searches) {
  if (s.status !== 200) bump(v, `VIOLATION search answered ${s.status}`);
  if (s.degraded) bump(v, `search degraded (${s.degraded})`);
  for (const h of s.hits) {
    if (!versions.has(`${h.id} ${h.seq}`)) bump(v, 'VIOLATION hit _seq_no no write answered');
    if (checked++ > 150) continue; // the truth of 150 hits at most (each a write and a search)
    const want = await scoreOf(s.q, h.source);
    if (want === undefined || h.score === undefined) bump(v, 'hit without a rerank score (info)');
    else if (Math.abs(want - h.score) > 0.01) {
      bump(v, 'VIOLATION hit scored from a record not of its _source');
      detail.push(`${h.id}@${h.seq} "${s.q}" score ${h.score.toFixed(4)} where its _source scores ${want.toFixed(4)}`);
    }
  }
}
console.log('violations', v);
for (const d of detail.slice(0, 15)) console.log('  ', d);
