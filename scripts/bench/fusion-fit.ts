/**
 * Issue 14 §2: refit the shipped pipelines' fusion on the public sets, with `vlrerank eval --fit`
 * as a user runs it. Builds three indices of this run's own (`fusion-coco-eval`,
 * `fusion-grocery-eval`, `fusion-videos-eval`) on the engine through an in-process proxy with the
 * shipped pipelines (their `index_patterns` extended to those names), writes each set's queries and
 * judgements as files, then spawns `vlrerank eval --fit --url <proxy>` on each and prints its output.
 *   COCO-mini  captions #2–#5 of each photo → that photo (caption #1 is the photo's alt text): 956 queries
 *   Grocery    each product's name in words → the product (grade 2), its coarse class (grade 1): 81 queries
 *   grocery-image  each of the 405 in-store photos → its product (search by image; window 20, as grocery.yaml measures it)
 *   grocery-all    both of the above in one set (the pipeline serves both kinds of query), window 50
 *   videos     each clip label → the clips with that label; the clips are indexed without their title
 *              (the title is the label), so only what the video shows can find them
 *   npx tsx scripts/bench/fusion-fit.ts [elasticsearch] [--only coco,grocery,videos] [--build-only] [--folds 5] [--window 50]
 *     [--index-prefix P]  indices of your own (P + coco-eval …; default fusion-), e.g. next to another run
 *     [--knn-boost LIST]  passed to `eval --fit` (a hybrid first stage's boosts to choose among)
 * Files and each fit's JSON and snippet go to .cache/fusion-fit/<engine>/<set>/.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { setupIndex } from '../../src/engine/mapping.js';
import { coco, ensureCoco, groceryTextQueries } from '../../test/helpers/search-eval.js';
import { catalog, ensureGrocery, esClient, groceryQueries, pipelinesDir, prefixedPipelineTexts, startSearchProxy, type Engine, type SearchProxy } from '../../test/helpers/search-fixtures.js';
import { DATA, REPO_ROOT } from '../../test/helpers/paths.js';

const argv = process.argv.slice(2);
const flag = (n: string) => (argv.includes(n) ? argv[argv.indexOf(n) + 1] : undefined);
const engine = (argv.find((a, i) => !a.startsWith('--') && !argv[i - 1]?.startsWith('--')) ?? 'elasticsearch') as Engine;
const only = (flag('--only') ?? 'coco,grocery,videos').split(',');
// one folder per engine: runs on two engines side by side keep their own files
const OUT = join(REPO_ROOT, '.cache', 'fusion-fit', engine);
const PREFIX = flag('--index-prefix') ?? 'fusion-';

function prefixedPipelines(): string {
  const extra = prefixedPipelineTexts(PREFIX);
  return pipelinesDir(extra);
}

interface Judged { id: string; text?: string; image?: string; rel: Map<string, number> }

function writeSet(name: string, queries: Judged[]): { queries: string; qrels: string } {
  const dir = join(OUT, name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'queries.jsonl'), queries.map((q) => JSON.stringify({ _id: q.id, ...(q.text ? { text: q.text } : {}), ...(q.image ? { image: q.image } : {}) })).join('\n') + '\n');
  const rows = queries.flatMap((q) => [...q.rel].map(([d, g]) => `${q.id}\t${d}\t${g}`));
  writeFileSync(join(dir, 'qrels.tsv'), ['query-id\tcorpus-id\tscore', ...rows].join('\n') + '\n');
  return { queries: join(dir, 'queries.jsonl'), qrels: join(dir, 'qrels.tsv') };
}

const VIDEO_DIR = join(DATA, 'intel-sample-videos');
const clips = readFileSync(join(VIDEO_DIR, 'videos.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { file: string; label: string });
const clipId = (file: string) => file.replace(/[/.]/g, '_');

async function ensureVideos(p: SearchProxy, index: string): Promise<void> {
  const c = await p.engine.json<{ count?: number }>('POST', `/${index}/_count`, { query: { exists: { field: 'video_vector' } } });
  if (c.statusCode === 200 && c.body.count === clips.length) return;
  await p.engine.json('DELETE', `/${index}`);
  await setupIndex(p.engine, p.pipelines.forIndex(index)!, index);
  for (let i = 0; i < clips.length; i += 4) {
    const operations = clips.slice(i, i + 4).flatMap((v) => [{ index: { _index: index, _id: clipId(v.file) } }, { video: join(VIDEO_DIR, v.file) }]);
    await esClient(p.url).bulk({ operations });
    process.stderr.write(`videos ${Math.min(i + 4, clips.length)}/${clips.length}\n`);
  }
  await p.engine.json('POST', `/${index}/_refresh`);
}

const sets: Record<string, { index: string; build: (p: SearchProxy) => Promise<void>; queries: () => Judged[]; window?: string }> = {
  coco: {
    index: `${PREFIX}coco-eval`,
    build: (p) => ensureCoco(p, engine, `${PREFIX}coco-eval`),
    queries: () => coco.flatMap((r) => r.captions.slice(1).map((text, k) => ({ id: `${r.coco_id}-${k + 2}`, text, rel: new Map([[String(r.coco_id), 1]]) }))),
  },
  grocery: {
    index: `${PREFIX}grocery-eval`,
    build: async (p) => void (await ensureGrocery(p, engine, `${PREFIX}grocery-eval`)),
    queries: () => groceryTextQueries().map((q, i) => ({ id: String(catalog[i]!.class_id), text: q.text, rel: q.rel })),
  },
  'grocery-image': {
    index: `${PREFIX}grocery-eval`,
    build: async (p) => void (await ensureGrocery(p, engine, `${PREFIX}grocery-eval`)),
    queries: () => groceryQueries(1).map((q, i) => ({ id: `photo-${i}`, image: q.image, rel: new Map([[String(q.classId), 1]]) })),
    window: '20',
  },
  'grocery-all': {
    index: `${PREFIX}grocery-eval`,
    build: async (p) => void (await ensureGrocery(p, engine, `${PREFIX}grocery-eval`)),
    queries: () => [...sets.grocery!.queries(), ...sets['grocery-image']!.queries()],
  },
  videos: {
    index: `${PREFIX}videos-eval`,
    build: (p) => ensureVideos(p, `${PREFIX}videos-eval`),
    queries: () => [...new Set(clips.map((c) => c.label))].map((label) => ({ id: label.replace(/\W+/g, '_'), text: label, rel: new Map(clips.filter((c) => c.label === label).map((c) => [clipId(c.file), 1])) })),
  },
};

const run = promisify(execFile);
const p = await startSearchProxy(engine, { pipelinesDir: prefixedPipelines() });
try {
  for (const name of only) {
    const s = sets[name];
    if (!s) throw new Error(`unknown set ${name}`);
    const t0 = Date.now();
    await s.build(p);
    const files = writeSet(name, s.queries());
    process.stderr.write(`${name}: index ${s.index} ready (${Math.round((Date.now() - t0) / 1000)} s), queries ${files.queries}\n`);
  }
  if (!argv.includes('--build-only')) {
    await p.reranker.warmup();
    for (const name of only) {
      const s = sets[name]!;
      const dir = join(OUT, name);
      const args = ['tsx', 'src/cli/main.ts', 'eval', '--fit', '--url', p.url, '--index', s.index, '--queries', join(dir, 'queries.jsonl'), '--qrels', join(dir, 'qrels.tsv'), '--window', flag('--window') ?? s.window ?? '50', '--folds', flag('--folds') ?? '5', '--json', join(dir, 'fit.json'), '--snippet', join(dir, 'fitted.yaml'), ...(flag('--knn-boost') ? ['--knn-boost', flag('--knn-boost')!] : [])];
      const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('VLRERANK_')));
      const { stdout } = await run('npx', args, { cwd: REPO_ROOT, env, maxBuffer: 64 * 1024 * 1024 });
      process.stdout.write(`## ${name} (${engine}): npx ${args.join(' ').replace(p.url, '<proxy>')}\n${stdout}\n`);
    }
  }
} finally {
  await p.close();
}
