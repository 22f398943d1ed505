/**
 * Held-out probe round 31b: indices of its own (`p31b-*`) on one engine, made directly on the
 * engine (not through the proxy: the probe is about searches; the pipeline keeps no records).
 * Usage: npx tsx scripts/probe/p31b-setup.ts <engineUrl> <es|os>
 * Field types a thin build lacks (join, percolator, rank_feature, geo_shape) are dropped and said.
 */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { REPO_ROOT } from '../engines.js';

const DATA = resolve(REPO_ROOT, '../shared/data/coco-captions-mini');
const [url, kind] = [process.argv[2]!, process.argv[3] as 'es' | 'os'];

async function call(method: string, path: string, body?: unknown, nd = false): Promise<any> {
  const r = await fetch(url + path, { method, headers: { 'content-type': nd ? 'application/x-ndjson' : 'application/json' }, body: body === undefined ? undefined : nd ? (body as string) : JSON.stringify(body) });
  const t = await r.text();
  return { status: r.status, body: t ? JSON.parse(t) : undefined };
}

const rows = readFileSync(join(DATA, 'captions.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l)).slice(0, 24);

export const vecMapping = kind === 'es' ? { type: 'dense_vector', dims: 3, index: true, similarity: 'cosine' } : { type: 'knn_vector', dimension: 3, method: { name: 'hnsw', engine: 'lucene', space_type: 'cosinesimil' } };

async function create(index: string, props: Record<string, unknown>, settings: Record<string, unknown> = {}): Promise<string[]> {
  await call('DELETE', `/${index}`);
  const dropped: string[] = [];
  const p = { ...props };
  for (let i = 0; i < 8; i++) {
    const r = await call('PUT', `/${index}`, { settings: { number_of_shards: 1, number_of_replicas: 0, ...(kind === 'os' && Object.values(p).some((x: any) => x.type === 'knn_vector') ? { 'index.knn': true } : {}), ...settings }, mappings: { properties: p } });
    if (r.status === 200) return dropped;
    const reason = JSON.stringify(r.body);
    const m = /No handler for type \[(\w+)\] declared on field \[([\w.]+)\]/.exec(reason) ?? /mapper type \[(\w+)\] declared on field \[([\w.]+)\]/.exec(reason);
    if (!m) throw new Error(`${index}: ${reason}`);
    dropped.push(`${m[2]}:${m[1]}`);
    delete p[m[2]!.split('.')[0]!];
  }
  throw new Error('too many drops');
}

const words = ['red', 'blue', 'green', 'kitchen', 'street', 'animal'];
const main = {
  title: { type: 'text' },
  description: { type: 'text' },
  tag: { type: 'keyword' },
  tags_needed: { type: 'integer' },
  price: { type: 'float' },
  created: { type: 'date' },
  location: { type: 'geo_point' },
  area: { type: 'geo_shape' },
  popularity: { type: 'rank_feature' },
  vec: vecMapping,
  image: { type: 'keyword' },
  comments: { type: 'nested', properties: { author: { type: 'keyword' }, text: { type: 'text' } } },
  suggest_title: { type: 'completion' },
};
const d1 = await create('p31b-items', main);
let bulk = '';
rows.forEach((r, i) => {
  const doc: Record<string, unknown> = {
    title: r.captions[0],
    description: r.captions[1],
    tag: [words[i % 6], words[(i + 1) % 6]],
    tags_needed: 1 + (i % 2),
    price: 1 + i,
    created: `2026-01-${String(1 + i).padStart(2, '0')}`,
    location: { lat: 48 + i / 10, lon: 2 + i / 10 },
    area: { type: 'point', coordinates: [2 + i / 10, 48 + i / 10] },
    popularity: 1 + i,
    vec: [1, i / 24, (24 - i) / 24],
    image: join(DATA, r.image),
    comments: [{ author: `a${i % 3}`, text: r.captions[2] }, { author: `b${i % 4}`, text: r.captions[3] }],
    suggest_title: r.captions[0].split(' ').slice(0, 3).join(' '),
  };
  for (const d of d1) delete doc[d.split(':')[0]!];
  bulk += JSON.stringify({ index: { _index: 'p31b-items', _id: String(i) } }) + '\n' + JSON.stringify(doc) + '\n';
});
console.log('items', (await call('POST', '/_bulk?refresh=true', bulk, true)).body.errors, 'dropped', d1);

// terms lookup source
await call('DELETE', '/p31b-lookup');
await call('PUT', '/p31b-lookup/_doc/u1?refresh=true', { tags: ['kitchen', 'street'] });

// parent/child
const d2 = await create('p31b-qa', { title: { type: 'text' }, description: { type: 'text' }, image: { type: 'keyword' }, rel: { type: 'join', relations: { question: 'answer' } } });
bulk = '';
rows.slice(0, 8).forEach((r, i) => {
  bulk += JSON.stringify({ index: { _index: 'p31b-qa', _id: `q${i}` } }) + '\n' + JSON.stringify({ title: r.captions[0], description: r.captions[1], image: join(DATA, r.image), rel: 'question' }) + '\n';
  bulk += JSON.stringify({ index: { _index: 'p31b-qa', _id: `a${i}`, routing: `q${i}` } }) + '\n' + JSON.stringify({ title: r.captions[2], description: r.captions[3], image: join(DATA, r.image), rel: { name: 'answer', parent: `q${i}` } }) + '\n';
});
console.log('qa', d2.length ? `dropped ${d2}` : (await call('POST', '/_bulk?refresh=true', bulk, true)).body.errors);

// percolator
const d3 = await create('p31b-perc', { title: { type: 'text' }, description: { type: 'text' }, image: { type: 'keyword' }, pq: { type: 'percolator' } });
bulk = '';
rows.slice(0, 6).forEach((r, i) => {
  bulk += JSON.stringify({ index: { _index: 'p31b-perc', _id: `p${i}` } }) + '\n' + JSON.stringify({ title: r.captions[0], description: r.captions[1], image: join(DATA, r.image), pq: { match: { title: words[i % 6] } } }) + '\n';
});
console.log('perc', d3.length ? `dropped ${d3}` : (await call('POST', '/_bulk?refresh=true', bulk, true)).body.errors);
