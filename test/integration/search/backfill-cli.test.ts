/**
 * `vlrerank index backfill` as a user runs it (node --import tsx src/cli/main.ts) against Elasticsearch 8.19:
 * a bad flag is refused with a message naming it (exit 2, nothing read); on an index made by
 * `vlrerank index setup` with documents written straight to the engine, it writes every record,
 * says so, and prints its throughput against the model-alone ceiling measured in the same run; a
 * second run has nothing left to do. Off a terminal (stderr a pipe, as under a Job or cron) it
 * still says how far it got; it reads and fills the configured feature store (`store.disk.path`),
 * as `serve` does — it opened none and computed every feature again (held-out probe round 15c) —
 * and its closing line says how many documents' features it read from the store and compares only
 * the computed ones with the ceiling (fix16).
 * (Library behaviour on both engines: backfill-records.test.ts.)
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useEngine } from '../../helpers/engines.js';
import { DATA, MODELS, REPO_ROOT } from '../../helpers/paths.js';
import { catalog, groceryDoc } from '../../helpers/search-fixtures.js';
import { tempStoreDir } from '../../helpers/store.js';
import { DiskTier } from '../../../src/features/store/disk-tier.js';

const run = promisify(execFile);
const INDEX = 'backfill-grocery-cli';
let url: string;
const store = tempStoreDir('backfill-cli');

async function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'index', ...args, '--pipeline', 'grocery'], {
      cwd: REPO_ROOT,
      env: { ...process.env, VLRERANK_UPSTREAM: url, VLRERANK_MODELS_DIR: MODELS, VLRERANK_MEDIA_ROOTS: DATA, VLRERANK_PIPELINES_DIR: join(REPO_ROOT, 'pipelines'), VLRERANK_LOG_LEVEL: 'silent', VLRERANK_STORE_DISK_PATH: store.path },
      timeout: 600_000,
    });
    return { code: 0, stdout, stderr };
  } catch (e) {
    const err = e as { code: number; stdout: string; stderr: string };
    return { code: err.code, stdout: err.stdout, stderr: err.stderr };
  }
}

const json = async (method: string, path: string, body?: unknown) =>
  (await fetch(`${url}${path}`, { method, headers: { 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) })).json() as Promise<any>;

describe('vlrerank index backfill (CLI) on elasticsearch', () => {
  beforeAll(async () => {
    url = await useEngine('elasticsearch');
    await fetch(`${url}/${INDEX}`, { method: 'DELETE' });
  });
  afterAll(async () => {
    await fetch(`${url}/${INDEX}`, { method: 'DELETE' });
    store.cleanup();
  });

  it('refuses a bad flag by name', async () => {
    const r = await cli(['backfill', INDEX, '--max-docs-per-second', '0']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--max-docs-per-second must be a positive number, got "0"');
  });

  it('writes every record, then prints its throughput against the model-alone ceiling; a second run finds nothing', { timeout: 900_000 }, async () => {
    const setup = await cli(['setup', INDEX]);
    expect(setup.code).toBe(0);
    const nd = catalog.slice(60, 72).flatMap((c, i) => [JSON.stringify({ index: { _id: `c${i}` } }), JSON.stringify(groceryDoc(c))]).join('\n') + '\n';
    await fetch(`${url}/${INDEX}/_bulk?refresh=true`, { method: 'POST', headers: { 'content-type': 'application/x-ndjson' }, body: nd });
    // a page of 12: its documents wait on the run's one signal at once (Node warned of a leak past 10)
    const r = await cli(['backfill', INDEX, '--batch', '12', '--max-docs-per-second', '1000']);
    expect(r.code).toBe(0);
    // stderr is a pipe here: the progress is written as lines (at the start, every 30 s, at the end)
    expect(r.stderr).toMatch(new RegExp(`^${INDEX} \\[[^\\]]*\\] 12/12 docs \\| [\\d.]+ docs/s \\| ETA \\S+ \\| failed 0 \\| conflicts 0$`, 'm'));
    // the run's features went to the configured disk tier: 12 photos' and their texts' parts
    const disk = await DiskTier.open({ path: store.path, maxBytes: 1 << 30 });
    expect(disk.health().entries).toBeGreaterThanOrEqual(24);
    await disk.close();
    expect(r.stdout).toContain(`${INDEX}: 12 documents got their feature record, 0 only part of it`);
    expect(r.stdout).toMatch(/throughput [\d.]+ docs\/s \(12 documents in [\d.]+ s\) = [\d.]+× the model-alone ceiling of [\d.]+ docs\/s \(the models alone on the first page: 12 documents, 12 images\/frames, 36 texts/);
    expect((await json('POST', `/${INDEX}/_count`, { query: { exists: { field: 'vlrerank_features_key' } } })).count).toBe(12);
    const again = await cli(['backfill', INDEX]);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain(`${INDEX}: 0 documents got their feature record`);
  });

  it('says how many documents\' features were read from the feature store, and compares only those computed with the ceiling', { timeout: 900_000 }, async () => {
    // the same 12 documents in an index made anew (their features in the disk tier since the run
    // above) and 4 new ones: the closing line said "= N× the model-alone ceiling" of all 16, the 12
    // read from the store included (held-out probe round 15c: "96.8× the model-alone ceiling")
    await fetch(`${url}/${INDEX}`, { method: 'DELETE' });
    expect((await cli(['setup', INDEX])).code).toBe(0);
    const nd = catalog.slice(60, 76).flatMap((c, i) => [JSON.stringify({ index: { _id: `c${i}` } }), JSON.stringify(groceryDoc(c))]).join('\n') + '\n';
    await fetch(`${url}/${INDEX}/_bulk?refresh=true`, { method: 'POST', headers: { 'content-type': 'application/x-ndjson' }, body: nd });
    const mixed = await cli(['backfill', INDEX, '--batch', '16']);
    expect(mixed.code).toBe(0);
    expect(mixed.stdout).toContain(`${INDEX}: 16 documents got their feature record, 0 only part of it`);
    expect(mixed.stdout).toMatch(/throughput [\d.]+ docs\/s \(16 documents in [\d.]+ s: 12 with every feature read from the feature store, 4 computed\); the 4 computed at [\d.]+ docs\/s over the whole run = [\d.]+× the model-alone ceiling of [\d.]+ docs\/s/);
    // all 16 read from the store: no model ran, no ceiling to compare with (nor measured)
    await fetch(`${url}/${INDEX}`, { method: 'DELETE' });
    expect((await cli(['setup', INDEX])).code).toBe(0);
    await fetch(`${url}/${INDEX}/_bulk?refresh=true`, { method: 'POST', headers: { 'content-type': 'application/x-ndjson' }, body: nd });
    const stored = await cli(['backfill', INDEX, '--batch', '16']);
    expect(stored.code).toBe(0);
    expect(stored.stdout).toMatch(/throughput [\d.]+ docs\/s \(16 documents in [\d.]+ s: 16 with every feature read from the feature store, 0 computed\): no model ran, nothing to compare with the model-alone ceiling/);
    expect(stored.stdout).not.toContain('× the model-alone ceiling');
    console.log(`[backfill-cli] ${[mixed, stored].map((x) => x.stdout.trim().split('\n').at(-1)).join('\n[backfill-cli] ')}`);
  });
});
