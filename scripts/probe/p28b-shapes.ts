/**
 * Held-out probe round 28b: documents of odd shapes written through the proxy (`_doc`), scored by a
 * reranked `ids` search with explain, in an index with records (`p28b-r1`) and one without (`p28b-n1`).
 *
 *   npx tsx scripts/probe/p28b-shapes.ts [rec|none|both]
 */
import { BANANA, MILK, BASE, call, scores, setup } from './p28b-lib.js';

const which = process.argv[2] ?? 'both';
const manyPhotos = [BANANA, ...Array.from({ length: 999 }, (_, i) => `${MILK.replace(/\.jpg$/, '')}-${i}.jpg`)];
const tags10k = Array.from({ length: 10_000 }, (_, i) => `tag${i}`);
const shapes: Record<string, Record<string, unknown>> = {
  ref: { title: 'Banana', image: BANANA },
  text_only: { title: 'Banana' },
  img_only: { image: BANANA },
  num_title: { title: 12345, image: BANANA },
  bool_title: { title: true, image: BANANA },
  zw_title: { title: '\u200b\u200b', image: BANANA },
  ctrl_title: { title: '\u0001\u0002\u0003', image: BANANA },
  ws_title: { title: ' \n\t ', image: BANANA },
  emoji_title: { title: '🍌🍌🍌', image: BANANA },
  zw_only: { title: '\u200b' },
  ctrl_only: { title: '\u0007' },
  arr_title: { title: ['Banana', 'Organic', 'Fruit'], image: BANANA },
  arr_empty_strs: { title: ['', ' ', '\u200b'], image: BANANA },
  tags10k: { title: 'Banana', tags: tags10k, image: BANANA },
  photos1000: { title: 'Banana', image: manyPhotos },
  bad_first: { title: 'Banana', image: ['/tmp/p28b-es/missing.jpg', BANANA] },
  milk_first: { title: 'Banana', image: [MILK, BANANA] },
  img_num: { title: 'Banana', image: 42 },
  img_bool: { title: 'Banana', image: true },
  img_ws: { title: 'Banana', image: '   ' },
  img_empty_first: { title: 'Banana', image: ['', BANANA] },
};

for (const [kind, index] of [['rec', 'p28b-r1'], ['none', 'p28b-n1']] as const) {
  if (which !== 'both' && which !== kind) continue;
  await setup(kind === 'rec' ? 'p28b' : 'p28bn', index, { title: { type: 'text' }, tags: { type: 'text' } });
  for (const [id, doc] of Object.entries(shapes)) {
    const w = await call(BASE, 'PUT', `/${index}/_doc/${id}?refresh=true`, doc);
    const note = w.json?.vlrerank ?? w.json?.error ?? '';
    console.log(kind, 'write', id, w.status, `${w.ms}ms`, JSON.stringify(note).slice(0, 300));
  }
  const ids = Object.keys(shapes);
  const s = await scores(index, 'banana', ids);
  console.log(kind, 'search', s.status, `${s.ms}ms`, JSON.stringify(s.report).slice(0, 1500));
  for (const id of ids) {
    const h = s.by[id];
    const v = h?._vlrerank;
    console.log(kind, id.padEnd(16), v?.rerank_score?.toFixed?.(6) ?? 'null', JSON.stringify({ e: v?.explanation, media: v?.media, err: v?.error }).slice(0, 400));
  }
}
