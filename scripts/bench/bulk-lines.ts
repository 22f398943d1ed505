/**
 * What reading a `_bulk` line by line costs the main thread when none of its documents get vectors
 * (`npx tsx scripts/bench/bulk-lines.ts [--mb 100] [--rounds 3]`): since every `_bulk` is read
 * action by action whenever some pipeline ingests (an action's `_index` may name a pipeline's
 * index), a bulk into a plain index pays that reading. Prints the CPU of `transformBulk` over the
 * body against the CPU of streaming the same chunks untouched, in the same run, for plain action
 * lines (`{"index":{}}`, read in place) and for lines naming `_index` (parsed as JSON).
 */
import { Readable } from 'node:stream';
import { parseArgs } from 'node:util';
import { transformBulk, type BulkReport } from '../../src/ingest/bulk.js';
import { parsePipeline, PipelineRegistry } from '../../src/pipelines/index.js';

const { values } = parseArgs({ options: { mb: { type: 'string', default: '100' }, rounds: { type: 'string', default: '3' } } });
const MB = Number(values.mb);
const ROUNDS = Number(values.rounds);
const shop = parsePipeline({ index_patterns: ['shop'], fields: { text: ['t'], image: ['img'] }, vectors: { ingest: true, image: { field: 'v', dims: 2 } }, features: { store: 'none' } }, 'shop.yaml');
const registry = new PipelineRegistry([shop]);

function chunks(pair: string): Buffer[] {
  const line = Buffer.from(pair);
  const block = Buffer.concat(Array.from({ length: Math.floor((256 * 1024) / line.length) }, () => line));
  return Array.from({ length: Math.floor((MB * 2 ** 20) / block.length) }, () => block);
}

async function cpuMs(run: () => Promise<void>): Promise<number> {
  const c0 = process.cpuUsage();
  await run();
  const c = process.cpuUsage(c0);
  return (c.user + c.system) / 1000;
}

const raw = (parts: Buffer[]) => async () => {
  for await (const c of Readable.from(parts)) void (c as Buffer).length;
};
const transformed = (parts: Buffer[]) => async () => {
  const report: BulkReport = { failures: new Map(), added: new Map() };
  for await (const c of transformBulk(Readable.from(parts), { registry, concurrency: 4, pathIndex: 'logs' }, report)) void (c as Buffer).length;
};

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
console.log(`bulk-lines: ${MB} MB per body, ${ROUNDS} rounds, loadavg ${(await import('node:os')).loadavg()[0]!.toFixed(2)}`);
for (const [name, pair] of [
  ['plain actions ({"index":{}})', '{"index":{}}\n{"title":"the quick brown fox jumps over the lazy dog","n":12345}\n'],
  ['actions naming _index', '{"index":{"_index":"logs"}}\n{"title":"the quick brown fox jumps over the lazy dog","n":12345}\n'],
] as const) {
  const parts = chunks(pair);
  const base: number[] = [];
  const read: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    base.push(await cpuMs(raw(parts)));
    read.push(await cpuMs(transformed(parts)));
  }
  console.log(`  ${name}: streamed untouched ${median(base).toFixed(0)} ms CPU, read line by line ${median(read).toFixed(0)} ms CPU (median of ${ROUNDS}), extra ${((median(read) - median(base)) / MB).toFixed(1)} ms per MB`);
}
