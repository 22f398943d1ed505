/**
 * `npx tsx scripts/bench/answer-format.ts`: what writing a reranked answer of ~5 MB as YAML, CBOR or
 * Smile (http/answer-format.ts: YAML by the `yaml` library, CBOR by cbor-x, Smile hand-written) costs
 * next to writing it as JSON (`stringifyAnswer`). Interleaved rounds, medians, printed as ratios to
 * JSON (the machine is shared: absolute times are noise, ratios less so), and the `yaml` library's
 * writer beside the hand-written YAML one.
 *
 * The answer holds what the writers branch on: hits with long texts (ASCII and Unicode), a vector of
 * doubles, ints, a long past 2^53 and a `1.0` kept as the engine sent them (util/json-tokens.ts).
 *
 * Usage: npx tsx scripts/bench/answer-format.ts [--rounds N]
 */
import { encodeAnswer } from '../../src/http/answer-format.js';
import { Document, Scalar } from 'yaml';
import { answerTokens, bindTokens, holdsTokens, sentTokens, stringifyAnswer } from '../../src/util/json-tokens.js';

const at = process.argv.indexOf('--rounds');
const ROUNDS = at > 0 ? Number(process.argv[at + 1]) : 7;

/** A reranked answer of about `bytes` of JSON, with its kept tokens bound as a search binds them. */
export function bigAnswer(bytes = 5 * 1024 * 1024): Record<string, unknown> {
  const words = ['sweet', 'crème', 'brûlée', '甜点', 'custard', 'apple', 'honey', 'x'.repeat(12), 'dessert', 'très'];
  const hit = (i: number) => {
    const text = Array.from({ length: 400 }, (_, k) => words[(i * 7 + k * 3) % words.length]).join(' ');
    const vector = Array.from({ length: 256 }, (_, k) => Math.sin(i * 31 + k) / 3);
    return `{"_index":"products","_id":"${i}","_score":${(1 / (i + 2)).toFixed(7)},"_source":{"title":"item ${i} — ${words[i % words.length]}","text":"${text}","price":${i % 997},"ratio":1.0,"id":${9007199254740993n + BigInt(i)},"tags":["a","b",${i}],"empty":{},"none":null,"vec":[${vector.join(',')}]},"vlrerank":{"first_stage_rank":${i},"signals":{"text":${Math.cos(i) / 2}}}}`;
  };
  const hits: string[] = [];
  for (let size = 0, i = 0; size < bytes; i++) {
    const h = hit(i);
    hits.push(h);
    size += h.length;
  }
  const text = `{"took":12,"timed_out":false,"_shards":{"total":1,"successful":1,"skipped":0,"failed":0},"hits":{"total":{"value":${hits.length},"relation":"eq"},"max_score":0.5,"hits":[${hits.join(',')}]},"vlrerank":{"pipeline":"bench","degraded":false}}`;
  const answer = JSON.parse(text) as Record<string, unknown>;
  bindTokens(answer, sentTokens(text)!);
  holdsTokens(answer);
  return answer;
}

/**
 * The `yaml` library's writer on the object (not on its JSON text), the candidate that was measured
 * against the hand-written YAML writer (round fmt24: 2.35× its time, kept out): kept longs as
 * bigint, kept doubles such as `1.0` with one fraction digit, anchors off, laid out as the engines.
 */
export function yamlLibrary(answer: Record<string, unknown>): string {
  const tokenOf = answerTokens(answer);
  const doc = new Document(
    answer,
    function (this: unknown, key: string, value: unknown) {
      const token = tokenOf?.(this, key, value);
      if (token === undefined || typeof value !== 'number') return value;
      if (/^-?\d+$/.test(token)) return BigInt(token);
      const s = new Scalar(value);
      s.minFractionDigits = 1;
      return s;
    },
    { version: '1.1', aliasDuplicateObjects: false },
  );
  return `---\n${doc.toString({ defaultStringType: 'QUOTE_DOUBLE', defaultKeyType: 'PLAIN', lineWidth: 0, indentSeq: false, directives: false })}`;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

function main(): void {
  const answer = bigAnswer();
  const json = Buffer.byteLength(stringifyAnswer(answer));
  const runs: Record<string, () => unknown> = {
    json: () => stringifyAnswer(answer),
    yaml: () => encodeAnswer(answer, 'yaml'),
    'yaml (yaml library)': () => yamlLibrary(answer),
    cbor: () => encodeAnswer(answer, 'cbor'),
    smile: () => encodeAnswer(answer, 'smile'),
  };
  const times: Record<string, number[]> = Object.fromEntries(Object.keys(runs).map((k) => [k, []]));
  for (let r = 0; r < ROUNDS; r++) {
    for (const [k, f] of Object.entries(runs)) {
      const t0 = performance.now();
      f();
      times[k]!.push(performance.now() - t0);
    }
  }
  console.log(`answer: ${(json / 1024 / 1024).toFixed(1)} MB of JSON, ${ROUNDS} rounds (medians)`);
  const base = median(times.json!);
  for (const [k, ts] of Object.entries(times)) console.log(`${k.padEnd(22)} ${median(ts).toFixed(0).padStart(6)} ms  ${(median(ts) / base).toFixed(2)}× JSON`);
}

if (import.meta.url === `file://${process.argv[1]}`) main();
