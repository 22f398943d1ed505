/**
 * Held-out probe round 27b: search by a shopper's photo through `p27b-serve.ts` — each in-store photo
 * (every `--step`th of the 405) as each kind of copy (p27b-copies.ts), sent as base64 in
 * `ext.vlrerank` (window 20, explain: the first stage's rank of each hit), or `--as data|lines|urlsafe|url|path`.
 * Prints top-1/top-5 of the right product, first stage and reranked, per kind.
 *
 *   npx tsx scripts/probe/p27b-rank.ts [--step 10] [--kinds clean,exif6] [--as base64]
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { groceryQueries, catalog } from '../../test/helpers/search-fixtures.js';
import { KINDS, queryCopy } from './p27b-copies.js';

const argv = process.argv.slice(2);
const flag = (n: string) => (argv.includes(n) ? argv[argv.indexOf(n) + 1] : undefined);
const step = Number(flag('--step') ?? 10);
const kinds = (flag('--kinds') ?? KINDS.join(',')).split(',');
const as = flag('--as') ?? 'base64';
const URL_ = process.env.P27B_URL ?? 'http://127.0.0.1:19590';
const dir = join(process.env.P27B_TMP ?? '/tmp/p27b', 'q');
mkdirSync(dir, { recursive: true });
const nameOf = new Map(catalog.map((c) => [c.class_id, c.class_name]));

function ref(bytes: Buffer, file: string): string {
  const b = bytes.toString('base64');
  if (as === 'data') return `data:image/jpeg;base64,${b}`;
  if (as === 'lines') return b.replace(/.{76}/g, '$&\n');
  if (as === 'urlsafe') return bytes.toString('base64url');
  if (as === 'url') return `http://127.0.0.1:19591/${file}`;
  if (as === 'path') return join(dir, file);
  return b;
}

for (const kind of kinds) {
  const acc = { fs1: 0, fs5: 0, rr1: 0, rr5: 0, n: 0, err: 0, degraded: 0, ms: 0 };
  const errs: string[] = [];
  for (const [i, q] of groceryQueries(step).entries()) {
    const bytes = await queryCopy(q.image, kind, dir, String(i));
    const want = nameOf.get(q.classId);
    const t0 = Date.now();
    const res = await fetch(`${URL_}/p27b-grocery/_search`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ size: 20, _source: false, ext: { vlrerank: { query: { image: ref(bytes, `${i}-${kind}`) }, window: 20, explain: true } } }),
    });
    acc.ms += Date.now() - t0;
    const body: any = await res.json();
    acc.n++;
    if (res.status !== 200) {
      acc.err++;
      if (errs.length < 2) errs.push(`${res.status} ${JSON.stringify(body).slice(0, 200)}`);
      continue;
    }
    if (body.vlrerank?.degraded) acc.degraded++;
    const hits = body.hits.hits as any[];
    const ids = hits.map((h) => h._id);
    const fs = [...hits].sort((a, b) => a._vlrerank.first_stage_rank - b._vlrerank.first_stage_rank).map((h) => h._id);
    acc.rr1 += ids[0] === want ? 1 : 0;
    acc.rr5 += ids.slice(0, 5).includes(want) ? 1 : 0;
    acc.fs1 += fs[0] === want ? 1 : 0;
    acc.fs5 += fs.slice(0, 5).includes(want) ? 1 : 0;
  }
  const f = (x: number) => (x / acc.n).toFixed(3);
  console.log(`${as} ${kind}: n ${acc.n} first-stage top-1 ${f(acc.fs1)} top-5 ${f(acc.fs5)} | reranked top-1 ${f(acc.rr1)} top-5 ${f(acc.rr5)} | errors ${acc.err} degraded ${acc.degraded} mean ${Math.round(acc.ms / acc.n)} ms`);
  for (const e of errs) console.log(`  ${e}`);
}
