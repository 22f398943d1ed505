// The demo's indexing module (used by `npm start`, tests and examples): creates the indices
// through the proxy with their pipeline's vector mapping, fills them, and reuses complete ones.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { startServer, type RunningServer } from '../../../src/server/start.js';
import { parseConfig } from '../../../src/config/load.js';
import { loadPipelines } from '../../../src/pipelines/index.js';
import { ensureDemoIndices, checkDataDir, demoDocs } from '../../../scripts/demo/indices.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { useEngine } from '../../helpers/engines.js';
import { DATA, MODELS, REPO_ROOT } from '../../helpers/paths.js';

const SUFFIX = '-demoindices-test';
let srv: RunningServer;
let es: string;
beforeAll(async () => {
  es = await useEngine('elasticsearch');
  srv = await startServer(parseConfig({ server: { port: 0, ui: false }, upstream: { urls: [es] }, log: { level: 'silent' }, media: { roots: [DATA] }, models: { dir: MODELS } }));
  for (const n of ['grocery', 'scifact']) await fetch(`${es}/${n}${SUFFIX}`, { method: 'DELETE' });
});
afterAll(async () => {
  for (const n of ['grocery', 'scifact']) await fetch(`${es}/${n}${SUFFIX}`, { method: 'DELETE' }).catch(() => {});
  await srv?.close();
});

describe('demo indices', () => {
  it('creates them through the proxy, with the vector fields of their pipeline, then reuses them', async () => {
    const grocery = loadPipelines('pipelines', REPO_ROOT).find((p) => p.name === 'grocery')!;
    const opts = { proxyUrl: srv.url, dataDir: DATA, names: ['grocery', 'scifact'] as const, pipelines: { grocery }, limit: 12, suffix: SUFFIX };
    const first = await ensureDemoIndices(opts);
    expect(first.map((r) => [r.name, r.action, r.docs, r.errors.length])).toEqual([
      ['grocery', 'created', 12, 0],
      ['scifact', 'created', 12, 0],
    ]);
    const mapping = (await (await fetch(`${es}/grocery${SUFFIX}/_mapping`)).json()) as Record<string, { mappings: { properties: Record<string, { type: string; dims?: number }> } }>;
    const props = mapping[`grocery${SUFFIX}`]!.mappings.properties;
    expect(props.image_vector).toMatchObject({ type: 'dense_vector', dims: 1280 });
    expect(props.image_text_vector).toMatchObject({ type: 'dense_vector', dims: 384 });
    const hit = (await (await fetch(`${es}/grocery${SUFFIX}/_doc/Golden-Delicious`)).json()) as { _source: { title: string; image: string } };
    expect(hit._source.title).toMatch(/Golden Delicious/);
    expect(hit._source.image).toMatch(/Golden-Delicious_Iconic\.jpg$/);

    const second = await ensureDemoIndices({ ...opts, names: ['scifact', 'grocery'] });
    expect(second.map((r) => [r.name, r.action, r.docs])).toEqual([
      ['scifact', 'reused', 12],
      ['grocery', 'reused', 12],
    ]);

    // the data folder has moved since the index was built (its photos are stored by absolute
    // path): the kept index points at files the proxy cannot read any more, so it is rebuilt
    await fetch(`${es}/grocery${SUFFIX}/_update/Golden-Delicious?refresh=true`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ doc: { image: '/moved-away/grocery-store-products/Golden-Delicious_Iconic.jpg' } }),
    });
    const said: Array<string | undefined> = [];
    const third = await ensureDemoIndices({ ...opts, names: ['grocery'], onStart: (_n, _t, _a, why) => said.push(why) });
    expect(third[0]).toMatchObject({ name: 'grocery', action: 'created', docs: 12 });
    // npm start prints why a kept index is rebuilt
    expect(said).toEqual([`built from another data folder than ${DATA}`]);
    const again = (await (await fetch(`${es}/grocery${SUFFIX}/_doc/Golden-Delicious`)).json()) as { _source: { image: string } };
    expect(again._source.image).toBe(hit._source.image);
  });

  it('reads every data set the demo uses, and names what is missing from a data folder', async () => {
    for (const n of ['grocery', 'coco', 'videos'] as const) {
      const first = await demoDocs(n, DATA).next();
      expect(first.value).toHaveProperty('_id');
    }
    expect(checkDataDir(DATA)).toEqual([]);
    expect(checkDataDir('/nonexistent-data')[0]).toMatch(/does not exist/);
  });
});

describe('two npm starts building one index at once (held-out probe round 12c)', () => {
  it('the second waits for the first one\'s build, then reuses it: the work is done once', async () => {
    const suffix = '-demolock-test';
    await fetch(`${es}/scifact${suffix}`, { method: 'DELETE' });
    const dir = mkdtempSync(join(tmpdir(), 'vlrerank-demolock-'));
    try {
      const waited: string[] = [];
      const build = () => ensureDemoIndices({ proxyUrl: srv.url, dataDir: DATA, names: ['scifact'], limit: 40, suffix, lock: { cluster: es, dir, onWait: (n) => waited.push(n) } });
      const both = await Promise.all([build(), build()]);
      const reports = both.map((r) => r[0]!).sort((a, b) => a.indexed - b.indexed);
      expect(reports.map((r) => [r.action, r.docs, r.indexed])).toEqual([
        ['reused', 40, 0],
        ['created', 40, 40],
      ]);
      expect(waited).toEqual(['scifact']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
      await fetch(`${es}/scifact${suffix}`, { method: 'DELETE' }).catch(() => {});
    }
  });
});
