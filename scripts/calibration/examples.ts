/**
 * The two user reports of issue 14 §4, before and after: "a rocket launching" against a rocket
 * photo, the car-detection clip, a Falcon 9 sentence and a coffee photo; and Grocery "oat milk"
 * against all 81 catalog products (title. description + catalog photo), rank of Oatly's oat milk.
 * Runs Reranker.process(…, {explain: true}) once per check with the calibration in effect
 * (models/calibration/signals.json) and rescores its raw signals with the previous table
 * (signals-own-modality.json) — raw values do not depend on calibration.
 *
 *   npx tsx scripts/calibration/examples.ts [--data ../shared/data] [--models ../shared/models]
 */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Calibrator, type CalibrationTable } from '../../src/rerank/calibration.js';
import { fuse, resolveWeights } from '../../src/rerank/fusion.js';
import { Reranker } from '../../src/rerank/reranker.js';
import type { RerankResult } from '../../src/rerank/types.js';

const args = process.argv.slice(2);
const arg = (name: string, def: string) => (args.includes(name) ? args[args.indexOf(name) + 1]! : def);
const data = resolve(arg('--data', '../shared/data'));
const before = new Calibrator((JSON.parse(readFileSync('models/calibration/signals-own-modality.json', 'utf8')) as { signals: CalibrationTable }).signals, 'before');
const weights = resolveWeights(undefined);
const rescore = (r: RerankResult) => fuse((r.explanation?.signals ?? []).map((s) => ({ name: s.name, calibrated: before.calibrate(s.name, s.raw), weight: weights[s.name] ?? 1 })));
const f = (x: number) => x.toFixed(3);

const reranker = new Reranker({ modelsDir: resolve(arg('--models', '../shared/models')), device: 'cpu', mediaRoots: [data] });
const rocket = [
  { label: 'rocket photo', doc: { image: join(data, 'skimage-clip-smoke/images/rocket.jpg') } },
  { label: 'car-detection clip', doc: { video: join(data, 'intel-sample-videos/clips/car-detection.mp4') } },
  { label: 'Falcon 9 sentence', doc: { text: 'The Falcon 9 rocket lifted off from the launch pad.' } },
  { label: 'coffee photo', doc: { image: join(data, 'skimage-clip-smoke/images/coffee.png') } },
];
const out = await reranker.process({ query: { text: 'a rocket launching' }, documents: rocket.map((r) => r.doc), explain: true });
process.stdout.write('"a rocket launching"  before  after\n');
for (const r of [...out].sort((a, b) => a.index - b.index)) process.stdout.write(`  ${rocket[r.index]!.label.padEnd(20)} ${f(rescore(r))}   ${f(r.score)}\n`);

interface Product { class_name: string; title: string; description: string | null; iconic_image: string }
const catalog = readFileSync(join(data, 'grocery-store-products/catalog.jsonl'), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Product);
const g = await reranker.process({
  query: { text: 'oat milk' },
  documents: catalog.map((p) => ({ text: `${p.title}. ${p.description ?? ''}`.trim(), image: join(data, 'grocery-store-products', p.iconic_image) })),
  explain: true,
});
const order = (score: (r: RerankResult) => number) => [...g].sort((a, b) => score(b) - score(a) || a.index - b.index);
for (const [name, ranked] of [['before', order(rescore)], ['after', order((r) => r.score)]] as const) {
  const rank = ranked.findIndex((r) => catalog[r.index]!.class_name === 'Oatly-Oat-Milk') + 1;
  const top = ranked.slice(0, 5).map((r) => `${catalog[r.index]!.class_name} ${f(name === 'before' ? rescore(r) : r.score)}`);
  process.stdout.write(`"oat milk" ${name}: Oatly-Oat-Milk rank ${rank}; top 5: ${top.join(', ')}\n`);
}
await reranker.close();
