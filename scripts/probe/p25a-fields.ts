/**
 * Held-out probe round 25a (what an answer reveals): a `p25a-docs` index on Elasticsearch 8.19
 * through `vlrerank serve` (port 19540, pipeline `p25a` over title/body/image), a media host on
 * 19541 that writes down the headers it is sent; each search asked of vlrerank and of the engine
 * with the same `_source`/`fields`/`filter_path`… view, and the reranked answer searched for values
 * the client left out (body text, image path or URL, the secret field).
 *
 *   npx tsx scripts/probe/p25a-fields.ts
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DATA } from '../../test/helpers/paths.js';

const V = process.env.P25A_V ?? 'http://127.0.0.1:19540';
const E = process.env.P25A_E ?? 'http://127.0.0.1:19200';
const IDX = 'p25a-docs';
const coco = join(DATA, 'coco-captions-mini');
const rows = readFileSync(join(coco, 'captions.jsonl'), 'utf8').trim().split('\n').slice(0, 8).map((l) => JSON.parse(l) as { image: string; captions: string[] });

// the media host: scripts/probe/p25a-media-host.ts (port 19541)

async function j(base: string, path: string, body?: unknown, headers: Record<string, string> = {}) {
  const r = await fetch(base + path, { method: body === undefined ? 'GET' : 'POST', headers: { 'content-type': 'application/json', ...headers }, body: body === undefined ? undefined : JSON.stringify(body) });
  const t = await r.text();
  return { status: r.status, text: t };
}

async function setup() {
  await fetch(`${E}/${IDX}`, { method: 'DELETE' });
  const docs = rows.map((r, i) => ({
    title: `photo ${i} ${r.captions[0]}`,
    body: `SECRETBODY${i} ${r.captions.slice(1).join(' ')} kitchen table person`,
    secret: `SECRETFIELD${i}`,
    image: i % 2 ? join(coco, r.image) : `http://127.0.0.1:19541/img/${i}`,
    n: i,
  }));
  docs.push({ title: 'photo 8 a table in a kitchen', body: 'SECRETBODY8 kitchen table', secret: 'SECRETFIELD8', image: 'http://127.0.0.1:19541/forbidden/8', n: 8 });
  const nd = docs.map((d, i) => `${JSON.stringify({ index: { _index: IDX, _id: String(i) } })}\n${JSON.stringify(d)}\n`).join('');
  const r = await fetch(`${V}/_bulk?refresh=true`, { method: 'POST', headers: { 'content-type': 'application/x-ndjson', authorization: 'Basic ' + Buffer.from('elastic:BULKPASSWORD').toString('base64'), cookie: 'sid=BULKCOOKIE', 'x-opaque-id': 'bulk-opaque' }, body: nd });
  console.log('bulk', r.status, (await r.text()).slice(0, 200));
}

const leaks = /SECRETBODY\d|SECRETFIELD\d|19541|val2017|MEDIAHOST-SECRET|kitchen table person/g;
function found(s: string): string[] {
  return [...new Set(s.match(leaks) ?? [])];
}

const views: Array<[string, Record<string, unknown>, string]> = [
  ['_source false', { _source: false }, ''],
  ['_source [title]', { _source: ['title'] }, ''],
  ['_source_excludes body,secret,image', {}, '?_source_excludes=body,secret,image'],
  ['filter_path hits.hits._id', { _source: ['title'] }, '?filter_path=hits.hits._id,hits.hits._score,vlrerank'],
  ['stored_fields []', { stored_fields: [] }, ''],
  ['docvalue_fields n', { _source: false, docvalue_fields: ['n'] }, ''],
  ['fields [title]', { _source: false, fields: ['title'] }, ''],
  ['excludes body', { _source: { excludes: ['body', 'secret', 'image'] } }, ''],
];

async function main() {
  if (!process.argv.includes('--no-setup')) await setup();
  for (const explain of [false, true]) {
    for (const [name, view, qs] of views) {
      const q = { query: { match: { body: 'kitchen table' } }, size: 5, ...view };
      const direct = await j(E, `/${IDX}/_search${qs}`, q);
      const rr = await j(V, `/${IDX}/_search${qs}`, { ...q, ext: { vlrerank: { query: { text: 'a kitchen table' }, explain } } });
      console.log(explain ? 'explain' : 'plain  ', name.padEnd(36), 'direct', direct.status, found(direct.text).join(','), '| vlrerank', rr.status, found(rr.text).join(','));
      if (process.env.P25A_SHOW && found(rr.text).length && !found(direct.text).length) console.log(rr.text.slice(0, 3000));
    }
  }
}
await main();
