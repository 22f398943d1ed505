/** Probe: pipeline field names with spaces, unicode and dots — read the same from nested objects, literal dotted keys and a mix, at ingest (records) and at search. */
import { writeFileSync } from 'node:fs';
import { BANANA, call, BASE, ENGINE } from './p29b-lib.js';

// the pipeline (written before the server starts): p29b-f* → text ["nom du produit", "méta.titre"], image ["médias.photo principale"]
const pipe = process.argv[2] === 'write';
if (pipe) {
  writeFileSync('/tmp/p29b/pipes/p29bf.yaml', `name: p29bf\nindex_patterns: ["p29b-f*"]\nfields:\n  text: ["nom du produit", "méta.titre"]\n  image: ["médias.photo principale"]\nfeatures: { store: index }\nfailure: fail_open\nbudget_ms: 120000\n`);
  process.exit(0);
}
const index = 'p29b-f1';
const { setup } = await import('./p29b-lib.js');
await setup('p29bf', index, {});
const docs: Record<string, unknown> = {
  nested: { 'nom du produit': 'banana', méta: { titre: 'yellow fruit' }, médias: { 'photo principale': BANANA } },
  dotted: { 'nom du produit': 'banana', 'méta.titre': 'yellow fruit', 'médias.photo principale': BANANA },
  mixed: { 'nom du produit': 'banana', méta: { titre: 'yellow fruit' }, 'médias.photo principale': BANANA },
  nfd: { 'nom du produit': 'banana', 'me\u0301ta': { titre: 'yellow fruit' }, 'me\u0301dias': { 'photo principale': BANANA } },
};
for (const [id, d] of Object.entries(docs)) {
  const w = await call(BASE, 'PUT', `/${index}/_doc/${id}?refresh=true`, d);
  console.log(id, w.status, JSON.stringify(w.json?.vlrerank ?? ''));
}
const s = await call(BASE, 'POST', `/${index}/_search`, { size: 10, query: { match_all: {} }, ext: { vlrerank: { query: { text: 'banana' }, explain: true } } });
for (const h of s.json?.hits?.hits ?? []) console.log(h._id, h._score?.toFixed(4), JSON.stringify(h._vlrerank?.explanation?.modalities), JSON.stringify(h._vlrerank?.explanation?.features ?? ''));
console.log(JSON.stringify(s.json?.vlrerank?.unscored ?? ''), s.status);
const m = await call(ENGINE, 'GET', `/${index}/_mapping`);
console.log(JSON.stringify(m.json).slice(0, 600));
