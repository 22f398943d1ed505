/**
 * Held-out probe round 31g: the record write-back (`features.write_back: true`, index `p31g-w1`)
 * racing clients' updates of the same documents. Documents seeded straight into the engine (no
 * records), then reranked searches (each offering its hits for write-back) while clients update,
 * re-put and delete those documents through vlrerank. Afterwards (engine read directly): a record
 * of another write's photo or text, the last acknowledged write lost (write-back overwrote it), a
 * deleted document back — each counted; write-back outcomes from `/_vlrerank/metrics`.
 *   npx tsx scripts/probe/p31g-writeback.ts [docs=24] [seconds=40]   (P31G_BASE, P31G_ENGINE, P31G_TMP)
 */
import { BASE, DESCRIPTION, ENGINE, PHOTOS, TITLES, bump, call, checkStored, pick, referenceVectors, type Violations } from './p31g-lib.js';

const N = Number(process.argv[2] ?? 24);
const SECONDS = Number(process.argv[3] ?? 40);
const INDEX = 'p31g-w1';
const v: Violations = {};
const detail: string[] = [];
const refs = await referenceVectors();
const wbLines = async () => (await (await fetch(`${BASE}/_vlrerank/metrics`)).text()).split('\n').filter((l) => l.startsWith('vlrerank_record_write_back_total'));
const before = await wbLines();

// seeded straight into the engine with the vectors a proxied write gives (copied from the reference), no record
const seed = [];
for (let i = 0; i < N; i++) {
  const image = PHOTOS[i % PHOTOS.length]!;
  seed.push(JSON.stringify({ index: { _index: INDEX, _id: `w${i}` } }), JSON.stringify({ title: TITLES[(i * 5) % TITLES.length], description: DESCRIPTION, image, image_vector: refs.get(image)!.image, image_text_vector: refs.get(image)!.bridge }));
}
console.log('seeded', (await call(ENGINE, 'POST', '/_bulk?refresh=true', seed.join('\n') + '\n')).status);

type Ack = { id: string; op: string; seq?: number; wrote?: Record<string, unknown>; status: number; result?: string };
const acks: Ack[] = [];
const until = Date.now() + SECONDS * 1000;
async function writer(): Promise<void> {
  while (Date.now() < until) {
    const id = `w${Math.floor(Math.random() * N)}`;
    const kind = pick(['update', 'update', 'update_title', 'put', 'delete', 'bulk_update']);
    const wrote: Record<string, unknown> = kind === 'update_title' ? { title: pick(TITLES) } : kind === 'put' ? { title: pick(TITLES), description: DESCRIPTION, image: pick(PHOTOS) } : { title: pick(TITLES), image: pick(PHOTOS) };
    let r;
    if (kind === 'put') r = await call(BASE, 'PUT', `/${INDEX}/_doc/${id}?refresh=true`, wrote);
    else if (kind.startsWith('update')) r = await call(BASE, 'POST', `/${INDEX}/_update/${id}?refresh=true`, { doc: wrote });
    else if (kind === 'delete') r = await call(BASE, 'DELETE', `/${INDEX}/_doc/${id}?refresh=true`);
    else {
      r = await call(BASE, 'POST', '/_bulk?refresh=true', `${JSON.stringify({ update: { _index: INDEX, _id: id } })}\n${JSON.stringify({ doc: wrote })}\n`);
      r = { ...r, json: r.json?.items?.[0]?.update, status: r.json?.items?.[0]?.update?.status ?? r.status };
    }
    acks.push({ id, op: kind, seq: r.json?._seq_no, wrote: kind === 'delete' ? undefined : wrote, status: r.status, result: r.json?.result });
    await new Promise((ok) => setTimeout(ok, 200));
  }
}
const searchStatus: Record<string, number> = {};
async function searcher(): Promise<void> {
  while (Date.now() < until) {
    const r = await call(BASE, 'POST', `/${INDEX}/_search`, { size: 10, query: { match_all: {} }, ext: { vlrerank: { query: { text: pick(TITLES) }, window: 30 } } });
    const k = `${r.status}${r.json?.vlrerank?.degraded ? ' degraded' : ''}`;
    searchStatus[k] = (searchStatus[k] ?? 0) + 1;
  }
}
await Promise.all([writer(), writer(), writer(), searcher(), searcher()]);
await new Promise((ok) => setTimeout(ok, 5000)); // write-back jobs still queued finish
await call(ENGINE, 'POST', `/${INDEX}/_refresh`);
const after = await wbLines();
console.log('searches', searchStatus, '\nwrite-back before', before.join(' '), '\nwrite-back after', after.join(' '));
const statuses: Record<string, number> = {};
for (const a of acks) statuses[`${a.op} ${a.status}`] = (statuses[`${a.op} ${a.status}`] ?? 0) + 1;
console.log(acks.length, 'client writes', statuses);
for (const [k, n] of Object.entries(searchStatus)) if (!k.startsWith('200')) bump(v, `VIOLATION search ${k}`, n);
for (const a of acks) if (a.status >= 300 && !(a.status === 404 && a.op !== 'put')) bump(v, `VIOLATION write answered ${a.status} (${a.op})`);
for (let i = 0; i < N; i++) {
  const id = `w${i}`;
  const got = await checkStored(INDEX, id, 'p31g-wb', refs, v, detail);
  const last = acks.filter((a) => a.id === id && a.status < 300 && a.seq !== undefined && a.result !== 'noop').sort((x, y) => y.seq! - x.seq!)[0];
  if (!got) {
    if (!last || last.op !== 'delete') bump(v, 'VIOLATION document gone without a delete');
    continue;
  }
  if (last?.op === 'delete') {
    bump(v, 'VIOLATION deleted document back');
    continue;
  }
  if (last) {
    for (const [k, val] of Object.entries(last.wrote ?? {})) if (got._source[k] !== val) {
      bump(v, 'VIOLATION last acknowledged write lost');
      detail.push(`${id} ${k} ${got._source[k]} ≠ ${val}`);
    }
    // only a write-back may follow the last client write: one version more at most, never a change of its fields
    if (got._seq_no > last.seq!) bump(v, 'write-back after the last client write (info)');
  }
}
console.log('violations', v);
for (const d of detail.slice(0, 15)) console.log('  ', d);
