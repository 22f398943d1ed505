/** Probe: `vlrerank index backfill` over documents of odd ids (written to the engine directly, no records), routed twins among them, one missing photo. */
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { BANANA, IDS, MILK, call, setup, ENGINE } from './p29b-lib.js';
import { DATA, MODELS } from '../../test/helpers/paths.js';

const index = process.argv[2] ?? 'p29b-r-bf';
// four shards (routed twins apart) from a template: `index setup` then makes the index with its record field
await call(ENGINE, 'PUT', '/_index_template/p29b-bf', { index_patterns: ['p29b-r-bf*'], priority: 500, template: { settings: { number_of_shards: 4, number_of_replicas: 0 } } });
await setup('p29b', index);
const lines: string[] = [];
for (const [k, id] of Object.entries(IDS)) {
  lines.push(JSON.stringify({ index: { _index: index, _id: id } }), JSON.stringify({ title: `doc ${k}`, image: k === 'ctl' ? '/tmp/p29b/media/gone.jpg' : k.length % 2 ? BANANA : MILK }));
  lines.push(JSON.stringify({ index: { _index: index, _id: id, routing: 'r4' } }), JSON.stringify({ title: `twin ${k}`, image: MILK }));
}
const b = await call(ENGINE, 'POST', '/_bulk?refresh=true', lines.join('\n') + '\n');
console.log('bulk', b.status, b.json?.errors, (await call(ENGINE, 'GET', `/${encodeURIComponent(index)}/_count`)).json?.count);
writeFileSync('/tmp/p29b/bf.yaml', `upstream: { urls: ['${ENGINE}'] }\nmodels: { dir: '${MODELS}' }\nmedia: { roots: ['${DATA}', '/tmp/p29b'] }\npipelines: { dir: /tmp/p29b/pipes }\nstore: { disk: { path: /tmp/p29b/disk-bf } }\n`);
const run = () => {
  try {
    return execFileSync('npx', ['tsx', 'src/cli/main.ts', 'index', 'backfill', index, '-c', '/tmp/p29b/bf.yaml', '--batch', '8', '--no-ceiling'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (e: any) {
    return `EXIT ${e.status}\n${e.stdout}\n${e.stderr}`;
  }
};
console.log(JSON.stringify(run().slice(-1500)));
const r = await call(ENGINE, 'POST', `/${encodeURIComponent(index)}/_search`, { size: 100, stored_fields: ['vlrerank_features', '_source'], query: { match_all: {} } });
let missing = 0;
for (const h of r.json.hits.hits) if (!h.fields?.vlrerank_features) { missing++; console.log('no record', JSON.stringify([h._id, h._routing])); }
console.log('hits', r.json.hits.hits.length, 'without record', missing);
console.log(JSON.stringify(run().slice(-600)));
await call(ENGINE, 'DELETE', '/_index_template/p29b-bf');
