/** Round 30a: p30a-big, 5,000 SciFact abstracts (title, description) in 3 shards, written to the engine directly — for a search's `timeout`. */
import { scifactDocs } from '../../test/helpers/scifact-docs.js';
import { SIDES, type Side, call } from './p30a-lib.js';
const side = process.argv[2] as Side; const { engine } = SIDES[side];
await call(engine, 'DELETE', '/p30a-big');
await call(engine, 'PUT', '/p30a-big', { settings: { number_of_shards: 3, number_of_replicas: 0 }, mappings: { properties: { title: { type: 'text' }, description: { type: 'text' } } } });
const docs = scifactDocs(5000);
for (let i = 0; i < docs.length; i += 1000) {
  const nd = docs.slice(i, i + 1000).map((d) => `${JSON.stringify({ index: { _id: d.id } })}\n${JSON.stringify({ title: d.title, description: d.text })}\n`).join('');
  const r = await call(engine, 'POST', '/p30a-big/_bulk', nd);
  console.log(side, i, r.status, r.json?.errors);
}
await call(engine, 'POST', '/p30a-big/_refresh');
