/**
 * Issue 14 §6: which frame pooling ranks the public Intel clips best by their labels. Each clip's
 * label ("car detection", the ASL sign "book") is a text query against all the clips (video only,
 * no title: the title is the label); the clip with that label is the relevant one. Frames are
 * sampled as pipelines/videos.yaml does (1 fps, at most 16), features computed once (feature
 * records), then scored with each pooling: mean of the frames (the default), best frame, mean of
 * the K best. Prints top-1, MRR and nDCG@10 per pooling.
 *   npx tsx scripts/bench/video-pooling.ts [--max-frames 16] [--fps 1]
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Reranker } from '../../src/rerank/reranker.js';
import type { FramePooling } from '../../src/rerank/signals/frame-pooling.js';
import { DATA, MODELS } from '../../test/helpers/paths.js';

const argv = process.argv.slice(2);
const opt = (n: string, d: number) => (argv.includes(n) ? Number(argv[argv.indexOf(n) + 1]) : d);
const dir = join(DATA, 'intel-sample-videos');
const clips = readFileSync(join(dir, 'videos.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { file: string; label: string });
const docs = clips.map((c) => ({ video: join(dir, c.file), fps: opt('--fps', 1), max_frames: opt('--max-frames', 16) }));
const base = new Reranker({ modelsDir: MODELS, device: 'cpu', mediaRoots: [DATA] });
const { records, errors } = await base.records(docs);
if (errors.length) console.log(`unreadable clips: ${errors.map((e) => `${clips[e.index]!.file}: ${e.reason}`).join('; ')}`);
const ports = await base.ports();
const labels = [...new Set(clips.map((c) => c.label))];
for (const pooling of ['mean', 'max', 'top2', 'top3', 'top5'] as FramePooling[]) {
  const r = new Reranker({ ports, framePooling: pooling, cacheDir: '.cache/vlrerank' });
  let top1 = 0;
  let mrr = 0;
  let ndcg = 0;
  for (const label of labels) {
    const out = await r.process({ query: label, documents: docs }, { records });
    const rel: number[] = out.map((x) => (clips[x.index]!.label === label ? 1 : 0));
    const first = rel.indexOf(1);
    top1 += first === 0 ? 1 : 0;
    mrr += first >= 0 && first < 10 ? 1 / (first + 1) : 0;
    const nrel = clips.filter((c) => c.label === label).length;
    const dcg = rel.slice(0, 10).reduce((s, g, i) => s + g / Math.log2(i + 2), 0);
    const idcg = Array.from({ length: Math.min(10, nrel) }, (_, i) => 1 / Math.log2(i + 2)).reduce((a, b) => a + b, 0);
    ndcg += dcg / idcg;
  }
  const n = labels.length;
  console.log(`${pooling.padEnd(5)} ${n} labels → ${clips.length} clips: top-1 ${(top1 / n).toFixed(3)} MRR@10 ${(mrr / n).toFixed(3)} nDCG@10 ${(ndcg / n).toFixed(3)}`);
}
await base.close();
