/** Round 29c: 6 Intel clips `_bulk` through each proxy into `p29c-v` (videos pipeline copy), then the same searches compared. */
import { join } from 'node:path';
import { DATA } from '../../test/helpers/paths.js';
import { SIDES, call, type Side } from './p29c-lib.js';
const V = join(DATA, 'intel-sample-videos');
const files = ['clips/bottle-detection.mp4', 'clips/car-detection.mp4', 'clips/classroom.mp4', 'clips/people-detection.mp4', 'clips/store-aisle-detection.mp4', 'clips/fruit-and-vegetable-detection.mp4'];
const nd = files.map((f, i) => `${JSON.stringify({ index: { _index: 'p29c-v', _id: `v${i}` } })}\n${JSON.stringify({ title: f.split('/')[1]!.replace(/\.mp4$/, '').replace(/-/g, ' '), video: join(V, f) })}\n`).join('');
await Promise.all((Object.keys(SIDES) as Side[]).map(async (s) => {
  const r = await call(SIDES[s].proxy, 'POST', '/_bulk?refresh=true', nd);
  console.log(s, 'bulk', r.status, r.json?.errors, JSON.stringify(r.json?.items?.find((i: any) => i.index.status >= 300) ?? ''));
}));
