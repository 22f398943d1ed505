import { BANANA, IDS, call, direct, es, ENGINE, BASE } from './p29b-lib.js';
const index = 'p29b-r1';
for (const p of ['/p29b-r1/_doc/%E0%A4%A', '/p29b-r1/_doc/%ZZ', '/p29b-r1/_create/%E0%A4%A', '/p29b-r1/_update/%E0%A4%A', '/p29b-r1/_doc/' + 'x'.repeat(513), '/p29b-r1/_doc/_bad', '/p29b-r1/_doc/%C3%A9?routing=%ZZ']) {
  const method = p.includes('_update') ? 'POST' : 'PUT';
  const body = p.includes('_update') ? { doc: { title: 't', image: BANANA } } : { title: 't', image: BANANA };
  const a = await call(BASE, method, p, body); const b = await call(ENGINE, method, p, body);
  console.log(p.slice(0, 40), 'proxy', a.status, a.text.slice(0, 160), '| direct', b.status, b.text.slice(0, 120));
}
// update and create through client
for (const k of ['slash', 'nfd', 'ctl', 'long4', 'pct20', 'plus']) {
  const id = IDS[k]!;
  const u = await es.update({ index, id, doc: { title: 'banana', image: BANANA } }).then((r) => r.result, (e: any) => `ERR ${e.meta?.statusCode} ${e.message.slice(0, 100)}`);
  const c = await es.create({ index, id: id + '-c', document: { title: 'banana', image: BANANA } }).then((r) => r.result, (e: any) => `ERR ${e.meta?.statusCode} ${e.message.slice(0, 100)}`);
  console.log(k, 'update', u, 'create', c);
}
// bulk
const bid = (id: string) => (Buffer.byteLength(id) > 500 ? id : 'b-' + id);
const lines: string[] = [];
for (const [k, id] of Object.entries(IDS)) lines.push(JSON.stringify({ index: { _index: index, _id: bid(id) } }), JSON.stringify({ title: 'bulk ' + k, image: k === 'ctl' ? '/nope/x.jpg' : BANANA }));
lines.push(JSON.stringify({ update: { _index: index, _id: IDS.nfc } }), JSON.stringify({ doc: { image: 42 } }));
const b = await call(BASE, 'POST', '/_bulk?refresh=true', lines.join('\n') + '\n');
console.log("bulk", b.status, b.json?.errors, b.text.slice(0, 600));
for (const it of b.json?.items ?? []) {
  const a = it.index ?? it.update; const want = a._id;
  if (a.status >= 300 || a.vlrerank) console.log(JSON.stringify(it).slice(0, 400));
}
const back = new Set((b.json?.items ?? []).map((it: any) => (it.index ?? it.update)._id));
for (const id of Object.values(IDS)) if (!back.has(bid(id))) console.log('bulk item id lost', JSON.stringify(id));
