/**
 * Held-out probe round 31g: `vlrerank index backfill` running while clients write and delete the
 * same documents through vlrerank; the backfill SIGKILLed mid-way and run again while the writes go
 * on. Documents seeded straight into the engine (no vectors, no records) with in-store photos the
 * models have not seen. Afterwards (engine read directly), counted violations: a record of another
 * write's photo or text, a document without vectors or record, a deleted document back, the last
 * acknowledged write lost.
 *   npx tsx scripts/probe/p31g-backfill.ts UPSTREAM [docs=96]   (P31G_BASE, P31G_ENGINE, P31G_TMP)
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { BASE, DESCRIPTION, ENGINE, FIELD, PHOTOS, TITLES, TMP, bump, call, checkStored, pick, type Violations } from './p31g-lib.js';
import { DATA, MODELS, REPO_ROOT } from '../../test/helpers/paths.js';

const N = Number(process.argv[2] ?? 96);
const INDEX = 'p31g-abf';
const root = join(DATA, 'grocery-store-products');
const store = readFileSync(join(root, 'queries.tsv'), 'utf8').trim().split('\n').slice(1).map((l) => join(root, l.split('\t')[0]!));
const v: Violations = {};
const detail: string[] = [];

await call(ENGINE, 'POST', `/${INDEX}/_delete_by_query?refresh=true`, { query: { match_all: {} } }); // not on the thin ES build: ids below are rewritten anyway
const seed = Array.from({ length: N }, (_, i) => `${JSON.stringify({ index: { _index: INDEX, _id: `b${i}` } })}\n${JSON.stringify({ title: `in-store photo ${i}`, description: DESCRIPTION, image: store[(i * 4 + (Date.now() % 4)) % store.length] })}\n`).join('');
const s = await call(ENGINE, 'POST', '/_bulk?refresh=true', seed);
console.log('seeded straight into the engine', s.status, s.json?.errors);

type Ack = { id: string; op: string; seq?: number; wrote?: Record<string, unknown>; status: number; result?: string };
const acks: Ack[] = [];
let writing = true;
async function writer(): Promise<void> {
  while (writing) {
    const id = `b${Math.floor(Math.random() * N)}`;
    const kind = pick(['put', 'update', 'update', 'delete', 'bulk_update']);
    const wrote = kind === 'put' ? { title: pick(TITLES), description: DESCRIPTION, image: pick(PHOTOS) } : { title: pick(TITLES), image: pick(PHOTOS) };
    let r;
    if (kind === 'put') r = await call(BASE, 'PUT', `/${INDEX}/_doc/${id}`, wrote);
    else if (kind === 'update') r = await call(BASE, 'POST', `/${INDEX}/_update/${id}`, { doc: wrote });
    else if (kind === 'delete') r = await call(BASE, 'DELETE', `/${INDEX}/_doc/${id}`);
    else {
      r = await call(BASE, 'POST', '/_bulk', `${JSON.stringify({ update: { _index: INDEX, _id: id } })}\n${JSON.stringify({ doc: wrote })}\n`);
      r = { ...r, json: r.json?.items?.[0]?.update, status: r.json?.items?.[0]?.update?.status ?? r.status };
    }
    acks.push({ id, op: kind, seq: r.json?._seq_no, wrote: kind === 'delete' ? undefined : wrote, status: r.status, result: r.json?.result });
    await new Promise((ok) => setTimeout(ok, 250));
  }
}

function backfill(): { done: Promise<{ code: number | null; out: string }>; kill: () => void } {
  const child = spawn('npx', ['tsx', 'src/cli/main.ts', 'index', 'backfill', INDEX, '--upstream', ENGINE, '--models-dir', MODELS, '--batch', '8', '--concurrency', '1', '--no-ceiling'], { cwd: REPO_ROOT, env: { ...process.env, VLRERANK_PIPELINES_DIR: join(TMP, 'pipes'), VLRERANK_MEDIA_ROOTS: DATA }, detached: true });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (out += d));
  return { done: new Promise((ok) => child.on('exit', (code) => ok({ code, out }))), kill: () => process.kill(-child.pid!, 'SIGKILL') };
}
const withRecords = async () => (await call(ENGINE, 'POST', `/${INDEX}/_count`, { query: { exists: { field: 'vlrerank_features_key' } } })).json?.count ?? 0;

const writers = [writer(), writer(), writer()];
const first = backfill();
const t0 = Date.now();
// killed once a third of the documents have records (or after 3 minutes)
while ((await withRecords()) < N / 3 && Date.now() - t0 < 180_000) await new Promise((ok) => setTimeout(ok, 500));
first.kill();
const f = await first.done;
console.log('first backfill killed', f.code, 'records', await withRecords(), f.out.trim().split('\n').slice(-2).join(' | ').slice(0, 300));
const second = await backfill().done;
console.log('second backfill', second.code, second.out.trim().split('\n').slice(-3).join(' | ').slice(0, 500));
writing = false;
await Promise.all(writers);
await call(ENGINE, 'POST', `/${INDEX}/_refresh`);

const statuses: Record<string, number> = {};
for (const a of acks) statuses[`${a.op} ${a.status}`] = (statuses[`${a.op} ${a.status}`] ?? 0) + 1;
console.log(acks.length, 'client writes', statuses);
for (const a of acks) if (a.status >= 300 && !(a.status === 404 && a.op !== 'put')) bump(v, `VIOLATION write answered ${a.status} (${a.op})`);
for (let i = 0; i < N; i++) {
  const id = `b${i}`;
  const got = await checkStored(INDEX, id, 'p31g', new Map(), v, detail);
  const mine = acks.filter((a) => a.id === id && a.status < 300 && a.seq !== undefined && a.result !== 'noop').sort((x, y) => y.seq! - x.seq!);
  const last = mine[0];
  if (!got) {
    if (!last || last.op !== 'delete') bump(v, 'VIOLATION document gone without a delete');
    continue;
  }
  if (last?.op === 'delete') {
    bump(v, 'VIOLATION deleted document back');
    detail.push(`${id} deleted at seq ${last.seq}, now seq ${got._seq_no}`);
    continue;
  }
  if (last) for (const [k, val] of Object.entries(last.wrote ?? {})) if (got._source[k] !== val) {
    bump(v, 'VIOLATION last acknowledged write lost');
    detail.push(`${id} ${k} ${got._source[k]} ≠ ${val}`);
  }
  if (!got._source.image_vector) bump(v, 'VIOLATION no image_vector after backfill');
  if (!got.fields?.[FIELD]) bump(v, 'document without record after backfill');
}
console.log('violations', v);
for (const d of detail.slice(0, 15)) console.log('  ', d);
