/**
 * What the readers on util/json-scan.ts cost against the loops they replaced (frozen in
 * test/helpers/json-scan-before.ts), in the same run, alternating (`npx tsx scripts/bench/json-scan.ts
 * [--rounds 15]`). Texts from /work/shared/data's SciFact abstracts:
 * - a reranked search's engine answer: 50 hits, each `_source` a title, an abstract and a 64-dim
 *   vector — `sentTokens` as execute.ts runs it on every such answer; once with every token as
 *   JSON.stringify writes it (the usual case: one pass, nothing kept) and once with a long past 2^53
 *   in each hit (the tree built);
 * - a 5 MB `_bulk` body of such documents: per document line what bulk-line.ts runs (jsonDepth to
 *   the line limit, hasDuplicateKeys, then stringifyAsSent's sentTokens), and `jsonDepth` over the
 *   whole body (assertJsonDepth, as on a search or `_msearch` body).
 * Prints the median CPU ms per scan of each and the median of the rounds' new ÷ old.
 */
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { jsonDepth } from '../../src/util/json-depth.js';
import { duplicateKey } from '../../src/util/json-duplicate-keys.js';
import { sentTokens } from '../../src/util/json-tokens.js';
import { duplicateKeyBefore, jsonDepthBefore, sentTokensBefore } from '../../test/helpers/json-scan-before.js';
import { DATA } from '../../test/helpers/paths.js';

const { values } = parseArgs({ options: { rounds: { type: 'string', default: '15' } } });
const ROUNDS = Number(values.rounds);

const abstracts = readFileSync(join(DATA, 'scifact-beir', 'corpus.jsonl'), 'utf8')
  .split('\n')
  .filter(Boolean)
  .map((l) => JSON.parse(l) as { _id: string; title: string; text: string });
let seed = 7;
const rand = (): number => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31) * 2 - 1;
const vector = (): number[] => Array.from({ length: 64 }, () => Math.fround(rand()));

function answer(withLongs: boolean): string {
  const hits = abstracts.slice(0, 50).map((a, i) => `{"_index":"scifact","_id":"${a._id}","_score":${(12 - i / 7).toString()},"_source":{"title":${JSON.stringify(a.title)},"text":${JSON.stringify(a.text)},${withLongs ? `"pid":${1234567890123456789n + BigInt(i)},` : ''}"vec":${JSON.stringify(vector())}}}`);
  return `{"took":5,"timed_out":false,"_shards":{"total":1,"successful":1,"skipped":0,"failed":0},"hits":{"total":{"value":5183,"relation":"eq"},"max_score":12,"hits":[${hits.join(',')}]}}`;
}

function bulkLines(bytes: number): string[] {
  const lines: string[] = [];
  let size = 0;
  for (let i = 0; size < bytes; i++) {
    const a = abstracts[i % abstracts.length]!;
    const doc = `{"title":${JSON.stringify(a.title)},"text":${JSON.stringify(a.text)},"year":${1990 + (i % 30)},"tags":["scifact","abstract"],"vec":${JSON.stringify(vector())}}`;
    lines.push(`{"index":{"_id":"${i}"}}`, doc);
    size += doc.length + 20;
  }
  return lines;
}

type Reader = { old: () => unknown; now: () => unknown };
const MAX_LINE_DEPTH = 1000;
const plainAnswer = answer(false);
const longAnswer = answer(true);
const lines = bulkLines(5 * 2 ** 20);
const docs = lines.filter((_, i) => i % 2 === 1);
const body = `${lines.join('\n')}\n`;
const cases: [string, Reader][] = [
  ['50-hit answer, 64-dim vectors: sentTokens (nothing to keep)', { old: () => sentTokensBefore(plainAnswer), now: () => sentTokens(plainAnswer) }],
  ['50-hit answer, 64-dim vectors + a long per hit: sentTokens (tree built)', { old: () => sentTokensBefore(longAnswer), now: () => sentTokens(longAnswer) }],
  [
    `5 MB _bulk (${docs.length} documents): per line jsonDepth + duplicate keys + sentTokens`,
    {
      old: () => {
        for (const d of docs) if (jsonDepthBefore(d, MAX_LINE_DEPTH) <= MAX_LINE_DEPTH && duplicateKeyBefore(d) === undefined) sentTokensBefore(d);
      },
      now: () => {
        for (const d of docs) if (jsonDepth(d, MAX_LINE_DEPTH) <= MAX_LINE_DEPTH && duplicateKey(d) === undefined) sentTokens(d);
      },
    },
  ],
  ['5 MB _bulk: jsonDepth over the whole body', { old: () => jsonDepthBefore(body, 1000), now: () => jsonDepth(body, 1000) }],
];

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
/** CPU ms per call (the process's: the machine is shared, wall time swings with its load), over enough calls to last ~80 ms. */
function timed(f: () => unknown): number {
  let n = 1;
  for (;;) {
    const c0 = process.cpuUsage();
    for (let i = 0; i < n; i++) f();
    const c = process.cpuUsage(c0);
    const ms = (c.user + c.system) / 1000;
    if (ms > 80) return ms / n;
    n *= 2;
  }
}

console.log(`json-scan: ${ROUNDS} rounds, old and new alternating (first place swapped each round), loadavg ${loadavg()[0]!.toFixed(2)}`);
console.log(`  answer ${(plainAnswer.length / 1024).toFixed(0)} KiB, bulk ${(body.length / 2 ** 20).toFixed(1)} MiB`);
for (const [name, r] of cases) {
  const old: number[] = [];
  const now: number[] = [];
  const ratios: number[] = [];
  for (let i = 0; i < 3; i++) (r.old(), r.now()); // warm both
  for (let k = 0; k < ROUNDS; k++) {
    let o: number, n: number;
    if (k % 2) (n = timed(r.now)), (o = timed(r.old));
    else (o = timed(r.old)), (n = timed(r.now));
    old.push(o);
    now.push(n);
    ratios.push(n / o);
  }
  console.log(`  ${name}: old ${median(old).toFixed(3)} ms, new ${median(now).toFixed(3)} ms, new ÷ old ${median(ratios).toFixed(2)} (rounds ${Math.min(...ratios).toFixed(2)}–${Math.max(...ratios).toFixed(2)})`);
}
