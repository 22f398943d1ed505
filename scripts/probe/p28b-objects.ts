/**
 * Held-out probe round 28b: values of the wrong type at the pipeline's paths — an object as the
 * title, an image object without a reference, a number as the photo — written through the proxy
 * into a dynamically mapped index (`p28b-n3`, no records), each write's answer and its reranked score.
 *
 *   npx tsx scripts/probe/p28b-objects.ts
 */
import { BANANA, BASE, ENGINE, call, scores } from './p28b-lib.js';

const shapes: Record<string, Record<string, unknown>> = {
  ref: { title: 'Banana', image: { url: BANANA, alt: 'a banana' } },
  obj_title: { title: { en: 'Banana', sv: 'Banan' }, image: { url: BANANA } },
  img_noref: { title: 'Banana', image: { id: 5, alt: 'a banana' } },
  img_url_num: { title: 'Banana', image: { url: 7 } },
  only_noref: { image: { id: 6 } },
};
await call(ENGINE, 'DELETE', '/p28b-n3');
for (const [id, doc] of Object.entries(shapes)) {
  const w = await call(BASE, 'PUT', `/p28b-n3/_doc/${id}?refresh=true`, doc);
  console.log('write', id, w.status, JSON.stringify(w.json?.vlrerank ?? w.json?.error ?? '').slice(0, 400));
}
const nd = Object.entries(shapes).map(([id, d]) => `${JSON.stringify({ index: { _index: 'p28b-n3', _id: `b-${id}` } })}\n${JSON.stringify(d)}\n`).join('');
const b = await call(BASE, 'POST', '/_bulk?refresh=true', nd);
console.log('bulk', b.status, JSON.stringify(b.json?.vlrerank).slice(0, 500), JSON.stringify(b.json?.items?.map((i: any) => i.index?.vlrerank)).slice(0, 800));
const s = await scores('p28b-n3', 'banana', Object.keys(shapes));
console.log('search', s.status, JSON.stringify(s.report).slice(0, 900));
for (const id of Object.keys(shapes)) console.log(id.padEnd(12), s.by[id]?._vlrerank?.rerank_score, JSON.stringify({ unread: s.by[id]?._vlrerank?.unread, err: s.by[id]?._vlrerank?.error, mod: s.by[id]?._vlrerank?.explanation?.modalities?.document }));
