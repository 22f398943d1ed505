/**
 * What a large first-stage answer costs the main thread (task ld25): read on the main thread as
 * before (engineText + JSON.parse + sentTokens) against read in the JSON worker
 * (search/first-stage-answer.ts: the main thread keeps the structured clone of the value and the
 * binding of the tokens). For answers of N hits with ~K bytes of `_source` each: the main thread's
 * longest stall (a 1 ms interval timer's largest gap) and its CPU time (process.threadCpuUsage is
 * not in Node 20: the main thread's busy time = wall − idle, from performance.eventLoopUtilization),
 * median of --rounds. Also says whether the two readings write the same bytes back (stringifyAnswer).
 *
 * Usage: tsx scripts/bench/answer-parse.ts [--hits 40,100] [--kb 2,180] [--rounds 7] [--tokens]
 */
import { performance } from 'node:perf_hooks';
import { readEngineAnswer } from '../../src/search/first-stage-answer.js';
import { holdsTokens, stringifyAnswer } from '../../src/util/json-tokens.js';
import { JsonWorker } from '../../src/util/json-worker.js';

const arg = (name: string, dflt: string) => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1]! : dflt;
};
const ROUNDS = Number(arg('--rounds', '7'));
/** --tokens: the hits' _source holds a long past 2^53 and `-0.0` (the token tree is not empty). */
const TOKENS = process.argv.includes('--tokens');

function answer(hits: number, kb: number): Buffer {
  const text = 'lorem ipsum dolor sit amet, consectetur adipiscing elit '.repeat(Math.ceil((kb * 1024) / 56)).slice(0, kb * 1024);
  const hit = (i: number) =>
    `{"_index":"ld25-x","_id":"${i}","_score":${(10 - i / 100).toFixed(6)},"_source":{"title":"doc ${i}","text":"${text}","n":${TOKENS ? '1234567890123456789' : i},"z":${TOKENS ? '-0.0' : '0'},"tags":["a","b"],"v":[${Array.from({ length: 64 }, (_, k) => ((k * 7919 + i) % 1000) / 997).join(',')}]}}`;
  return Buffer.from(`{"took":3,"timed_out":false,"_shards":{"total":1,"successful":1,"skipped":0,"failed":0},"hits":{"total":{"value":${hits},"relation":"eq"},"max_score":10,"hits":[${Array.from({ length: hits }, (_, i) => hit(i)).join(',')}]}}`);
}

async function stalls(f: () => Promise<unknown>): Promise<{ maxGap: number; busy: number; wall: number }> {
  let last = performance.now();
  let maxGap = 0;
  const t = setInterval(() => {
    const now = performance.now();
    maxGap = Math.max(maxGap, now - last);
    last = now;
  }, 1);
  const elu0 = performance.eventLoopUtilization();
  const t0 = performance.now();
  await f();
  const wall = performance.now() - t0;
  const elu = performance.eventLoopUtilization(elu0);
  clearInterval(t);
  maxGap = Math.max(maxGap, performance.now() - last);
  return { maxGap, busy: elu.active, wall };
}

const med = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const worker = new JsonWorker().start();
try {
  console.log(`answers of N hits × K KiB of _source; median of ${ROUNDS}; ${TOKENS ? 'with' : 'without'} tokens to keep`);
  console.log('   hits    KiB    MB | main thread: stall ms  busy ms  wall ms | worker: stall ms  busy ms  wall ms | same bytes');
  for (const hits of arg('--hits', '40,100').split(',').map(Number))
    for (const kb of arg('--kb', '2,180').split(',').map(Number)) {
      const raw = answer(hits, kb);
      const main: Array<Awaited<ReturnType<typeof stalls>>> = [];
      const off: Array<Awaited<ReturnType<typeof stalls>>> = [];
      let same = true;
      for (let r = 0; r < ROUNDS; r++) {
        let a: unknown, b: unknown;
        main.push(await stalls(async () => (a = (await readEngineAnswer(raw)).value)));
        const own = Buffer.from(raw); // its own memory: transferred to the thread, as the engine's answer is
        off.push(await stalls(async () => (b = (await readEngineAnswer(own, { worker })).value)));
        holdsTokens(a as object);
        holdsTokens(b as object);
        same &&= stringifyAnswer(a) === stringifyAnswer(b);
      }
      const row = (xs: typeof main) => `${med(xs.map((x) => x.maxGap)).toFixed(1).padStart(8)} ${med(xs.map((x) => x.busy)).toFixed(1).padStart(8)} ${med(xs.map((x) => x.wall)).toFixed(1).padStart(8)}`;
      console.log(`  ${String(hits).padStart(5)} ${String(kb).padStart(6)} ${(raw.length / 1e6).toFixed(2).padStart(5)} |          ${row(main)} |     ${row(off)} | ${same}`);
    }
} finally {
  await worker.close();
}
