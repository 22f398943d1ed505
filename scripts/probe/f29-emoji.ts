/**
 * Task fix29: the round-28b banana case scored as the grocery pipeline scores it (its weights and raw
 * fusion), through process() with the real models — a title of emoji, the names written out, the
 * photo alone, and a query of an emoji.
 *
 *   npx tsx scripts/probe/f29-emoji.ts
 */
import { join } from 'node:path';
import { loadPipelines } from '../../src/pipelines/load.js';
import { scoreFusionOf } from '../../src/search/shape.js';
import { testReranker } from '../../test/helpers/reranker.js';
import { GROCERY_DIR } from '../../test/helpers/search-fixtures.js';
import { REPO_ROOT } from '../../test/helpers/paths.js';

const p = loadPipelines(join(REPO_ROOT, 'pipelines')).find((x) => x.name === 'grocery')!;
const BANANA = join(GROCERY_DIR, 'iconic-images-and-descriptions/Fruit/Banana/Banana_Iconic.jpg');
const r = testReranker();
const documents = [{ text: '🍌🍌🍌', image: BANANA }, { text: 'banana banana banana', image: BANANA }, { image: BANANA }, { text: '🍌🍌🍌' }];
for (const query of ['banana', '🍌']) {
  const out = await r.process({ query, documents, weights: p.scorer.weights }, { scoreFusion: scoreFusionOf(p) });
  console.log(query, out.scores.map((s, i) => `${JSON.stringify(documents[i]!.text ?? null)}${documents[i]!.image ? '+photo' : ''} ${s}`).join(' | '));
}
await r.close();
