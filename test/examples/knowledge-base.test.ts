// examples/knowledge-base: OpenSearch's native search_pipeline + ext.rerank syntax, sent by the
// official OpenSearch client to vlrerank in front of a real OpenSearch, answers SciFact claims.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { once } from 'node:events';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import { createApp, type Answer } from '../../examples/knowledge-base/app.js';
import { startServer, type RunningServer } from '../../src/server/start.js';
import { parseConfig } from '../../src/config/load.js';
import { ensureDemoIndices } from '../../scripts/demo/indices.js';
import { useEngine } from '../helpers/engines.js';
import { DATA, MODELS, REPO_ROOT } from '../helpers/paths.js';

// "kb-*" is one of the knowledge-base pipeline's index patterns; the first 400 SciFact abstracts
// hold the evidence of 29 test claims, among them the two asked below (qrels/test.tsv).
const INDEX = 'kb-scifact-example';
const CLAIMS: Array<[string, string]> = [
  ['Albendazole is used to treat lymphatic filariasis.', '1215116'],
  ['Autophagy declines in aged organisms.', '1084345'],
];
let srv: RunningServer;
let pipelinesDir: string;
let app: Server;
let appUrl: string;
beforeAll(async () => {
  const os = await useEngine('opensearch');
  // The shipped pipeline, with a window of 30 and a generous budget: on a loaded 2-core CI machine
  // embedding 100 abstracts can exceed its 10 s budget and fail open (BM25 order, scores > 1).
  pipelinesDir = await mkdtemp(join(tmpdir(), 'vlr-kb-pipelines-'));
  const kb = parseYaml(await readFile(join(REPO_ROOT, 'pipelines/knowledge-base.yaml'), 'utf8')) as Record<string, unknown>;
  await writeFile(join(pipelinesDir, 'knowledge-base.yaml'), stringifyYaml({ ...kb, window: { default: 30, max: 300 }, budget_ms: 120_000 }));
  srv = await startServer(parseConfig({ server: { port: 0, ui: false }, upstream: { urls: [os] }, log: { level: 'silent' }, models: { dir: MODELS }, pipelines: { dir: pipelinesDir } }));
  await ensureDemoIndices({ proxyUrl: srv.url, dataDir: DATA, names: ['scifact'], limit: 400, prefix: 'kb-', suffix: '-example' });
  app = createApp({ url: srv.url, index: INDEX }).app.listen(0, '127.0.0.1');
  await once(app, 'listening');
  appUrl = `http://127.0.0.1:${(app.address() as AddressInfo).port}`;
}, 600_000);
afterAll(async () => {
  app?.close();
  await srv?.close();
  if (pipelinesDir) await rm(pipelinesDir, { recursive: true, force: true });
});

describe('examples/knowledge-base', () => {
  it.each(CLAIMS)('"%s" gets its evidence abstract among the five answers', async (claim, docId) => {
    const res = await fetch(`${appUrl}/ask?q=${encodeURIComponent(claim)}`);
    const body = (await res.json()) as { answers: Answer[] };
    expect(res.status, JSON.stringify(body)).toBe(200);
    expect(body.answers).toHaveLength(5);
    for (const a of body.answers) expect(a.score).toBeGreaterThanOrEqual(0), expect(a.score).toBeLessThanOrEqual(1);
    expect(body.answers.map((a) => a.id)).toContain(docId);
  });
  it('a missing question gets a clear 400', async () => {
    expect((await fetch(`${appUrl}/ask`)).status).toBe(400);
  });
});
