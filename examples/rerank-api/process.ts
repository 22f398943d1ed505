/**
 * The library call: rank a text, an image and a video against one query with `process()`,
 * without any server or search engine. Run from the repository root:
 *
 *   npx tsx examples/rerank-api/process.ts [data-dir] [models-dir]
 *
 * (defaults: ../shared/data and ../shared/models, i.e. the demo data and the shared weights).
 * In your own project: `import { Reranker } from 'vlrerank'`.
 */
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Reranker } from '../../src/index.js'; // in your project: from 'vlrerank'

export async function rankExample(dataDir: string, modelsDir: string) {
  const reranker = new Reranker({ modelsDir, mediaRoots: [dataDir] });
  const ranked = await reranker.process({
    instruction: 'Given a search query, retrieve relevant candidates.',
    query: { text: 'a rocket launching into the sky' },
    documents: [
      { text: 'A plate of pasta with tomato sauce.' },
      { image: resolve(dataDir, 'skimage-clip-smoke/images/rocket.jpg') }, // a local path under mediaRoots
      { image: resolve(dataDir, 'skimage-clip-smoke/images/coffee.png') },
      { video: resolve(dataDir, 'intel-sample-videos/clips/car-detection.mp4'), fps: 1 },
      { text: 'The Falcon 9 lifted off from Cape Canaveral.', image: resolve(dataDir, 'skimage-clip-smoke/images/rocket.jpg') },
    ],
    fps: 1.0,
    max_frames: 8,
  });
  return ranked;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const here = fileURLToPath(new URL('.', import.meta.url));
  const dataDir = resolve(process.argv[2] ?? resolve(here, '../../../shared/data'));
  const modelsDir = resolve(process.argv[3] ?? resolve(here, '../../../shared/models'));
  const ranked = await rankExample(dataDir, modelsDir);
  for (const r of ranked) {
    const d = r.document as Record<string, unknown>;
    const what = d.text ? `text  "${String(d.text).slice(0, 50)}"` : d.image ? `image ${String(d.image).split('/').pop()}` : `video ${String(d.video).split('/').pop()}`;
    console.log(`${r.score.toFixed(3)}  #${r.index}  ${what}`);
  }
  console.log(`timings: ${JSON.stringify(ranked.timings)}`);
}
