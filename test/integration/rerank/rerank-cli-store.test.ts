/**
 * `vlrerank rerank` reads and fills the feature store's persistent tiers its configuration names
 * (store.disk.path from VLRERANK_STORE_DISK_PATH or a --config file), as `serve` and `index backfill`
 * do: run twice on the same photos, the second run reads every photo's features from the disk tier
 * (explanations say `disk`, no image model runs). Before, the CLI ran the models again on a second
 * run and made no folder (held-out probe round 24c). A bad store setting stops it naming the key.
 * Real models, real photos, the CLI as a child process.
 */
import { execFile } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, expect, it } from 'vitest';
import { DATA, MODELS, REPO_ROOT } from '../../helpers/paths.js';
import { tempStoreDir } from '../../helpers/store.js';

const run = promisify(execFile);
const dir = tempStoreDir('cli');
afterAll(() => dir.cleanup());
const coco = (id: string) => join(DATA, 'coco-captions-mini/images/val2017', `${id}.jpg`);
const docs = join(dir.path, 'docs.jsonl');
writeFileSync(docs, [{ image: coco('000000000139') }, { image: coco('000000000802'), text: 'a kitchen' }, 'a cup of hot coffee'].map((d) => JSON.stringify(d)).join('\n'));
const features = join(dir.path, 'features');

const cli = (env: Record<string, string>, ...args: string[]) =>
  run(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'rerank', '--models-dir', MODELS, '--log-level', 'silent', '--docs', docs, '--query', 'a living room', '--json', '--explain', ...args], {
    cwd: REPO_ROOT,
    env: { ...Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('VLRERANK_'))), ...env },
    timeout: 280_000,
  });

interface Out {
  results: Array<{ index: number; explanation: { features: Record<string, string> } }>;
  usage: { model_calls: Record<string, number>; feature_sources: Record<string, number> };
}
const imageSources = (o: Out) => o.results.map((r) => r.explanation.features.image).filter(Boolean);
const imageModelRuns = (o: Out) => Object.entries(o.usage.model_calls).filter(([k]) => !k.startsWith('bge')).reduce((s, [, n]) => s + n, 0);

it('a second run on the same photos reads the disk tier the configuration names: no image model run', { timeout: 600_000 }, async () => {
  const first = JSON.parse((await cli({ VLRERANK_STORE_DISK_PATH: features })).stdout) as Out;
  expect(imageSources(first)).toEqual(['computed', 'computed']);
  expect(imageModelRuns(first)).toBeGreaterThan(0);
  expect(existsSync(join(features, 'features.mdb'))).toBe(true);

  // the same folder from a configuration file
  const config = join(dir.path, 'vlrerank.yaml');
  writeFileSync(config, `store:\n  disk:\n    path: ${JSON.stringify(features)}\n`);
  const second = JSON.parse((await cli({}, '--config', config)).stdout) as Out;
  expect(imageSources(second)).toEqual(['disk', 'disk']);
  expect(imageModelRuns(second)).toBe(0);
  expect(second.results.map((r) => r.index)).toEqual(first.results.map((r) => r.index));
});

it('a bad store setting stops the run naming it', { timeout: 300_000 }, async () => {
  await expect(cli({ VLRERANK_STORE_DISK_PATH: features, VLRERANK_STORE_DISK_MAX_BYTES: '0' })).rejects.toMatchObject({ code: 2, stderr: expect.stringContaining('store.disk.maxBytes') });
});
