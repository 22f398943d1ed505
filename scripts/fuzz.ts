/**
 * `npm run fuzz -- --runs N [--seed S] [--upstream URL] [--prefix P]`: the property-based HTTP fuzz of vlrerank's
 * own endpoints (scripts/fuzz/http-fuzz.ts) at length, against a vlrerank started here in front of
 * an engine that is already running (default: the test Elasticsearch, 127.0.0.1:19200; this script
 * never starts or stops one). Prints the request count, the status counts, the failures (the first
 * one shrunk by fast-check, with its seed to replay it) and exits 1 when there is any. Its two
 * indices are `<prefix>` and `<prefix>-writes` (default `fuzz-run-<pid>`, so runs at once against one
 * engine, or beside the test suite's `hard-http-fuzz`, never delete each other's); both are deleted
 * at the end.
 */
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { runFuzz } from './fuzz/http-fuzz.js';
import { startFuzzTarget } from './fuzz/setup.js';
import { REPO_ROOT } from './engines.js';

const { values } = parseArgs({ options: { runs: { type: 'string', default: '1000' }, seed: { type: 'string' }, upstream: { type: 'string', default: 'http://127.0.0.1:19200' }, prefix: { type: 'string', default: `fuzz-run-${process.pid}` } } });
const runs = Number(values.runs);
if (!Number.isInteger(runs) || runs <= 0) throw new Error(`--runs must be a positive integer, got ${values.runs}`);

const target = await startFuzzTarget(values.upstream!, resolve(REPO_ROOT, '../shared'), values.prefix);
try {
  const report = await runFuzz(target.srv.url, target.ctx, { runs, seed: values.seed === undefined ? undefined : Number(values.seed) });
  const fiveXX = Object.entries(report.statuses).filter(([s]) => Number(s) >= 500);
  console.log(`fuzz: ${report.requests} requests in ${(report.ms / 1000).toFixed(1)} s — statuses ${JSON.stringify(report.statuses)}`);
  console.log(`fuzz: ${report.readBacks} documents written and read back`);
  console.log(`fuzz: ${report.failures.length} failures (crashes, hangs, unshaped errors, undocumented 5xx); 5xx answers: ${fiveXX.length ? JSON.stringify(Object.fromEntries(fiveXX)) : 'none'}`);
  for (const f of report.failures.slice(0, 10)) console.log(`  - ${f.problem}\n    ${f.request}`);
  process.exitCode = report.failures.length ? 1 : 0;
} finally {
  await target.close();
}
