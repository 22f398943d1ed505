/**
 * Pipelines reloaded while serving (fix19a; held-out probe round 18b left "pipelines are read at
 * start only": a tenant's new file needed every replica rolled). A server over Elasticsearch 8.19
 * with its pipelines folder in a temp dir, the real text model: a file added, changed, removed or
 * broken, then `POST /_vlrerank/pipelines/_reload` — and reloads under concurrent reranked searches.
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../../src/config/load.js';
import { createLogger } from '../../../src/observability/logger.js';
import { startServer, type RunningServer } from '../../../src/server/start.js';
import { countingRelay, type CountingRelay } from '../../helpers/counting-relay.js';
import { useEngine } from '../../helpers/engines.js';
import { until } from '../../helpers/until.js';
import { DATA, MODELS } from '../../helpers/paths.js';
import { catalog, groceryDoc } from '../../helpers/search-fixtures.js';
import { setupIndex } from '../../../src/engine/mapping.js';

const TOKEN = 'f19a-admin-token';
const INDICES = ['f19a-t1', 'f19a-t2', 'f19a-t3', 'f19a-t4', 'f19a-photos', 'f19a-late'];
const DOCS = [
  'Fresh apple juice pressed from green apples',
  'Orange juice with pulp, not from concentrate',
  'Apple pie with a buttery crust',
  'Sparkling water with a hint of lemon',
  'Dried apple rings, no sugar added',
  'Apple cider vinegar for salad dressings',
];

const pipeline = (name: string, index: string, extra = '') => `name: ${name}\nindex_patterns: [${index}]\nfields:\n  text: [title]\nbudget_ms: 300000\n${extra}`;

let dir: string;
let engineUrl: string;
let srv: RunningServer;
let log = '';
/** A slow engine for one search: `_search` on f19a-t4, and what the alias f19a-al names, wait for `release` (then the relay passes them on). */
let relay: CountingRelay;
let held: (() => void) | undefined;
let release: Promise<void> | undefined;

async function call(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<{ status: number; body: any }> {
  const r = await fetch(`${srv.url}${path}`, { method, headers: { 'content-type': 'application/json', ...headers }, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await r.text();
  return { status: r.status, body: text.startsWith('{') ? JSON.parse(text) : text };
}
const reload = () => call('POST', '/_vlrerank/pipelines/_reload', undefined, { authorization: `Bearer ${TOKEN}` });
const reranked = (index: string) => call('POST', `/${index}/_search`, { query: { match: { title: 'apple' } }, size: 10, ext: { vlrerank: { query: { text: 'apple juice' } } } });
const scores = (b: any): number[] => b.hits.hits.map((h: any) => h._score);

beforeAll(async () => {
  engineUrl = await useEngine('elasticsearch');
  for (const index of INDICES) {
    await fetch(`${engineUrl}/${index}`, { method: 'DELETE' });
    const bulk = DOCS.flatMap((title, i) => [JSON.stringify({ index: { _index: index, _id: String(i) } }), JSON.stringify({ title })]).join('\n') + '\n';
    const r = await fetch(`${engineUrl}/_bulk?refresh=true`, { method: 'POST', headers: { 'content-type': 'application/x-ndjson' }, body: bulk });
    expect(r.status).toBe(200);
  }
  const alias = await fetch(`${engineUrl}/_aliases`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ actions: [{ add: { index: 'f19a-t1', alias: 'f19a-al' } }] }) });
  expect(alias.status).toBe(200);
  dir = mkdtempSync(join(tmpdir(), 'f19a-pipelines-'));
  writeFileSync(join(dir, 't1.yaml'), pipeline('t1', 'f19a-t1'));
  writeFileSync(join(dir, 't3.yaml'), pipeline('t3', 'f19a-t3', 'default: true\n'));
  writeFileSync(join(dir, 't4.yaml'), pipeline('t4', 'f19a-t4', 'default: true\n'));
  relay = await countingRelay(engineUrl, { before: (line) => (/^POST \/f19a-t4\/_search|\/_resolve\/index\/f19a-al\b/.test(line) ? release : undefined) });
  const config = parseConfig({
    server: { host: '127.0.0.1', port: 0, ui: false, adminToken: TOKEN },
    upstream: { urls: [relay.url] },
    log: { level: 'info', access: false },
    models: { dir: MODELS, intraOpThreads: 2 },
    media: { roots: [DATA] },
    store: { disk: { path: 'off' } },
    pipelines: { dir },
    rerank: { admission: { maxQueueWaitMs: 300_000 } },
  });
  const sink = new Writable({ write: (c, _e, cb) => ((log += c.toString()), cb()) });
  srv = await startServer(config, { logger: createLogger('info', sink) });
}, 300_000);

afterAll(async () => {
  held?.();
  await srv?.close();
  await relay?.close();
  for (const index of INDICES) await fetch(`${engineUrl}/${index}`, { method: 'DELETE' }).catch(() => undefined);
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('POST /_vlrerank/pipelines/_reload', () => {
  it('a search in flight finishes on the set it started with: its pipeline removed by a reload meanwhile', async () => {
    release = new Promise<void>((r) => (held = r));
    const inFlight = call('POST', '/f19a-t4/_search', { query: { match: { title: 'apple' } } });
    await until(() => relay.seen.some((l) => /^POST \/f19a-t4\/_search/.test(l)), { tries: 600, everyMs: 50, what: 'the first stage at the engine' });
    unlinkSync(join(dir, 't4.yaml'));
    expect((await reload()).body).toMatchObject({ removed: ['t4'] });
    held!();
    const r = await inFlight;
    expect(r.status, JSON.stringify(r.body).slice(0, 300)).toBe(200);
    expect(r.body.vlrerank?.pipeline).toBe('t4');
    // the next one is the new set's: the engine's answer
    const next = await call('POST', '/f19a-t4/_search', { query: { match: { title: 'apple' } } });
    expect(next.status).toBe(200);
    expect(next.body.vlrerank).toBeUndefined();
  });

  it('an _msearch and an alias in flight keep the set they started with: the pipeline of the alias\'s index renamed by a reload while the engine says what the alias names', async () => {
    release = new Promise<void>((r) => (held = r));
    const body = [{ index: 'f19a-al' }, { query: { match: { title: 'apple' } }, ext: { vlrerank: { query: { text: 'apple juice' } } } }].map((l) => JSON.stringify(l)).join('\n') + '\n';
    const inFlight = fetch(`${srv.url}/_msearch`, { method: 'POST', headers: { 'content-type': 'application/x-ndjson' }, body }).then(async (r) => ({ status: r.status, body: (await r.json()) as any }));
    await until(() => relay.seen.some((l) => /\/_resolve\/index\/f19a-al\b/.test(l)), { tries: 600, everyMs: 50, what: 'the alias look-up at the engine' });
    unlinkSync(join(dir, 't1.yaml'));
    writeFileSync(join(dir, 't1b.yaml'), pipeline('t1b', 'f19a-t1'));
    try {
      expect((await reload()).body).toMatchObject({ added: ['t1b'], removed: ['t1'] });
      held!();
      const r = await inFlight;
      expect(r.status).toBe(200);
      expect(r.body.responses[0].status ?? 200, JSON.stringify(r.body).slice(0, 400)).toBe(200);
      expect(r.body.responses[0].vlrerank?.pipeline).toBe('t1');
      // searches after the reload: the new set's
      const after = await call('POST', '/f19a-al/_search', { query: { match: { title: 'apple' } }, ext: { vlrerank: { query: { text: 'apple juice' } } } });
      expect(after.body.vlrerank?.pipeline).toBe('t1b');
    } finally {
      held!();
      unlinkSync(join(dir, 't1b.yaml'));
      writeFileSync(join(dir, 't1.yaml'), pipeline('t1', 'f19a-t1'));
      expect((await reload()).status).toBe(200);
    }
  });

  it('a file added is served after the reload: its index reranked (before: no pipeline covers it); the list and health show the new generation', async () => {
    const before = await reranked('f19a-t2');
    expect(before.status).toBe(400);
    expect(JSON.stringify(before.body)).toMatch(/no vlrerank pipeline covers index \[f19a-t2\]/);
    writeFileSync(join(dir, 't2.yaml'), pipeline('t2', 'f19a-t2'));
    // still the old set until asked
    expect((await reranked('f19a-t2')).status).toBe(400);
    const r = await reload();
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body).toMatchObject({ acknowledged: true, result: 'reloaded', added: ['t2'], removed: [], changed: [] });
    const after = await reranked('f19a-t2');
    expect(after.status, JSON.stringify(after.body)).toBe(200);
    expect(after.body.vlrerank.pipeline).toBe('t2');
    const list = await call('GET', '/_vlrerank/pipelines');
    expect(list.status).toBe(200);
    expect(list.body.generation).toBe(r.body.generation);
    expect(list.body.pipelines.map((p: any) => p.name)).toEqual(['t1', 't2', 't3']);
    expect(list.body.pipelines.find((p: any) => p.name === 't3')).toMatchObject({ index_patterns: ['f19a-t3'], default: true });
    expect(list.body.pipelines.find((p: any) => p.name === 't2').source).toMatch(/t2\.yaml$/);
    const one = await call('GET', '/_vlrerank/pipelines/t2');
    expect(one.body.pipeline).toMatchObject({ name: 't2', index_patterns: ['f19a-t2'], window: { default: 50 } });
    expect((await call('GET', '/_vlrerank/pipelines/nope')).status).toBe(404);
    const health = await call('GET', '/_vlrerank/health');
    expect(health.body.pipelines).toMatchObject({ generation: r.body.generation, count: 3, digest: list.body.digest });
    expect(log).toMatch(/rerank pipelines reloaded/);
    // reloads of the same files change nothing: the same generation, loaded_at and digest (held-out probe round 19c: each was +1)
    const unchanged = () => call('GET', '/_vlrerank/metrics').then((m) => Number(/^vlrerank_pipeline_reloads_total\{outcome="unchanged"\} (\d+)/m.exec(m.body)?.[1]));
    const noops = await unchanged();
    for (let i = 0; i < 3; i++) {
      const same = await reload();
      expect(same.status).toBe(200);
      expect(same.body).toMatchObject({ acknowledged: true, result: 'noop', generation: r.body.generation, loaded_at: r.body.loaded_at, digest: r.body.digest, added: [], removed: [], changed: [] });
    }
    expect(await unchanged()).toBe(noops + 3);
    expect((await call('GET', '/_vlrerank/health')).body.pipelines).toMatchObject({ generation: r.body.generation, digest: r.body.digest });
    expect(log).toMatch(/rerank pipelines reloaded: nothing changed, the set serving stays/);
    // a file whose content changes is a new generation again
    writeFileSync(join(dir, 't2.yaml'), pipeline('t2', 'f19a-t2', 'window: {default: 40}\n'));
    const bumped = await reload();
    expect(bumped.body).toMatchObject({ result: 'reloaded', generation: r.body.generation + 1, changed: ['t2'] });
    expect(bumped.body.digest).not.toBe(r.body.digest);
    expect((await call('GET', '/_vlrerank/health')).body.pipelines.generation).toBe(r.body.generation + 1);
  });

  it('an alias moved to an index of another pipeline is reranked by that pipeline at once, not the one kept for pipelines.aliasCacheMs (18b)', async () => {
    const aliases = (actions: object[]) => fetch(`${engineUrl}/_aliases`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ actions }) });
    expect((await aliases([{ add: { index: 'f19a-t1', alias: 'f19a-mv' } }])).status).toBe(200);
    try {
      const first = await reranked('f19a-mv');
      expect(first.status).toBe(200);
      expect(first.body.vlrerank.pipeline).toBe('t1');
      const looks = () => relay.seen.filter((l) => /\/_resolve\/index\/f19a-mv\b/.test(l)).length;
      const before = looks();
      expect((await aliases([{ remove: { index: 'f19a-t1', alias: 'f19a-mv' } }, { add: { index: 'f19a-t2', alias: 'f19a-mv' } }])).status).toBe(200);
      const moved = await reranked('f19a-mv');
      expect(moved.status).toBe(200);
      expect(moved.body.hits.hits.every((h: any) => h._index === 'f19a-t2')).toBe(true);
      expect(moved.body.vlrerank.pipeline).toBe('t2');
      expect(looks()).toBe(before + 1); // asked again once
      // and kept again: the next search asks nothing
      expect((await reranked('f19a-mv')).body.vlrerank.pipeline).toBe('t2');
      expect(looks()).toBe(before + 1);
    } finally {
      await aliases([{ remove: { index: '*', alias: 'f19a-mv' } }]);
    }
  });

  it('a weight changed changes the scores; a file removed leaves its index unreranked', async () => {
    const a = await reranked('f19a-t1');
    expect(a.status).toBe(200);
    const digestBefore = (await call('GET', '/_vlrerank/pipelines')).body.digest;
    writeFileSync(join(dir, 't1.yaml'), pipeline('t1', 'f19a-t1', 'first_stage:\n  fusion: {method: blend, weight: 0.5}\n'));
    const r = await reload();
    expect(r.body).toMatchObject({ changed: ['t1'], added: [], removed: [] });
    expect(r.body.digest).not.toBe(digestBefore);
    const b = await reranked('f19a-t1');
    expect(b.status).toBe(200);
    expect(scores(b.body)).not.toEqual(scores(a.body));
    // a default pipeline's index: reranked unasked, then the engine's answer once its file is gone
    const plain = { query: { match: { title: 'apple' } } };
    expect((await call('POST', '/f19a-t3/_search', plain)).body.vlrerank?.pipeline).toBe('t3');
    unlinkSync(join(dir, 't3.yaml'));
    expect((await reload()).body).toMatchObject({ removed: ['t3'] });
    const gone = await call('POST', '/f19a-t3/_search', plain);
    expect(gone.status).toBe(200);
    expect(gone.body.vlrerank).toBeUndefined();
    expect((await reranked('f19a-t3')).status).toBe(400);
  });

  it('an invalid set is a 400 naming the file and the key; the set serving stays, searches unaffected, the outcome counted', async () => {
    const g = (await call('GET', '/_vlrerank/pipelines')).body.generation;
    const ok = await reranked('f19a-t1');
    writeFileSync(join(dir, 'zz-bad.yaml'), pipeline('bad', 'f19a-bad', 'window:\n  default: 500\n  max: 100\n'));
    const r = await reload();
    expect(r.status).toBe(400);
    expect(r.body.error.type).toBe('illegal_argument_exception');
    expect(r.body.error.reason).toMatch(/zz-bad\.yaml: window\.max/);
    expect(r.body.error.reason).toMatch(new RegExp(`generation ${g}\\) stays`));
    expect((await call('GET', '/_vlrerank/pipelines')).body.generation).toBe(g);
    const still = await reranked('f19a-t1');
    expect(still.status).toBe(200);
    expect(scores(still.body)).toEqual(scores(ok.body));
    expect(log).toMatch(/pipelines reload refused/);
    // a weight naming no signal: the start's own check
    writeFileSync(join(dir, 'zz-bad.yaml'), pipeline('bad', 'f19a-bad', 'scorer:\n  weights: {text_txet: 1}\n'));
    expect((await reload()).body.error.reason).toMatch(/zz-bad\.yaml: scorer\.weights/);
    unlinkSync(join(dir, 'zz-bad.yaml'));
    const metrics = (await call('GET', '/_vlrerank/metrics')).body as string;
    expect(metrics).toMatch(/vlrerank_pipeline_reloads_total\{outcome="invalid"\} 2/);
    expect(metrics).toMatch(new RegExp(`vlrerank_pipelines_generation ${g}\\b`));
  });

  it('a pipelines folder moved away is refused, not taken as every pipeline removed (19c: 200, all four tenants unreranked); the set serving stays', async () => {
    const g = (await call('GET', '/_vlrerank/pipelines')).body.generation;
    const ok = await reranked('f19a-t1');
    const away = `${dir}.away`;
    renameSync(dir, away);
    try {
      const r = await reload();
      expect(r.status, JSON.stringify(r.body).slice(0, 300)).toBe(400);
      expect(r.body.error.reason).toMatch(/does not exist: a reload would remove every pipeline/);
      expect((await call('GET', '/_vlrerank/pipelines')).body.generation).toBe(g);
      const still = await reranked('f19a-t1');
      expect(still.status).toBe(200);
      expect(scores(still.body)).toEqual(scores(ok.body));
      // a file where the folder was: the same
      writeFileSync(dir, 'not a folder');
      expect((await reload()).body.error.reason).toMatch(/is not a folder: a reload would remove every pipeline/);
      rmSync(dir);
    } finally {
      renameSync(away, dir);
    }
    expect((await reload()).status).toBe(200);
  });

  it('a FIFO in the folder is refused unread (19c: readFileSync on it stopped the whole server, health and passthrough, until something wrote to it)', async () => {
    const g = (await call('GET', '/_vlrerank/pipelines')).body.generation;
    const fifo = join(dir, 'zz-fifo.yaml');
    execFileSync('mkfifo', [fifo]);
    // on the old code the reload blocks this very process on the FIFO: a writer outside it lets it go on (and fail below)
    const writer = spawn('sh', ['-c', `sleep 3; printf 'name: fifo\n' > '${fifo}'`], { stdio: 'ignore' });
    try {
      const r = await reload();
      expect(r.status).toBe(400);
      expect(r.body.error.reason).toMatch(/zz-fifo\.yaml: \(file\): is a FIFO, not a regular file: not read/);
    } finally {
      writer.kill();
      unlinkSync(fifo);
    }
    expect((await call('GET', '/_vlrerank/pipelines')).body.generation).toBe(g);
  });

  it('a pipeline file past 1 MiB is refused unread (19c: a 50 MB description held the event loop 5 s and was served)', async () => {
    const g = (await call('GET', '/_vlrerank/pipelines')).body.generation;
    const big = join(dir, 'zz-big.yaml');
    writeFileSync(big, pipeline('big', 'f19a-big', `description: "${'x'.repeat(2 * 1024 * 1024)}"\n`));
    try {
      const r = await reload();
      expect(r.status).toBe(400);
      expect(r.body.error.reason).toMatch(/zz-big\.yaml: \(file\): is \d+ bytes, more than a pipeline file's 1048576/);
    } finally {
      unlinkSync(big);
    }
    expect((await call('GET', '/_vlrerank/pipelines')).body.generation).toBe(g);
  });

  it('a symlink to a secrets file is refused without echoing its lines; a typo is still named (19c: /etc/shadow lines were echoed into the answer and the error log)', async () => {
    const g = (await call('GET', '/_vlrerank/pipelines')).body.generation;
    const secrets = join(`${dir}-secrets`);
    writeFileSync(secrets, 'root:$6$s4ltS4lt$h4shh4shh4sh:19000:0:99999:7:::\nsvc:$y$j9T$0ther$hash:19000:0:99999:7:::\n');
    const link = join(dir, 'zz-shadow.yaml');
    symlinkSync(secrets, link);
    try {
      const r = await reload();
      expect(r.status).toBe(400);
      expect(r.body.error.reason).toMatch(/zz-shadow\.yaml: \(top level\): 2 unknown key\(s\) that are not names, not shown/);
      expect(JSON.stringify(r.body)).not.toMatch(/h4sh|0ther|root:/);
      expect(log).not.toMatch(/h4sh|0ther/);
    } finally {
      unlinkSync(link);
      rmSync(secrets);
    }
    // a typo is still named
    writeFileSync(join(dir, 'zz-typo.yaml'), pipeline('typo', 'f19a-typo', 'windw: 10\n'));
    expect((await reload()).body.error.reason).toMatch(/zz-typo\.yaml: \(top level\): unknown key\(s\) "windw"/);
    unlinkSync(join(dir, 'zz-typo.yaml'));
    expect((await call('GET', '/_vlrerank/pipelines')).body.generation).toBe(g);
    expect((await reload()).status).toBe(200);
  });

  it('needs the admin token; other methods are 405', async () => {
    const r = await call('POST', '/_vlrerank/pipelines/_reload');
    expect(r.status).toBe(401);
    expect(r.body.error.type).toBe('security_exception');
    expect((await call('GET', '/_vlrerank/pipelines/_reload')).status).toBe(405);
  });

  it('shows no secret a pipeline carries (a media_base with userinfo, a token in a description)', async () => {
    writeFileSync(join(dir, 'm.yaml'), pipeline('m', 'f19a-m', 'description: "media at https://svc:hunter2@cdn.example/x?token=abc123"\n').replace('fields:\n  text: [title]', 'fields:\n  text: [title]\n  media_base: https://svc:hunter2@cdn.example/media/'));
    expect((await reload()).status).toBe(200);
    const all = JSON.stringify((await call('GET', '/_vlrerank/pipelines')).body) + JSON.stringify((await call('GET', '/_vlrerank/pipelines/m')).body);
    expect(all).toMatch(/cdn\.example/);
    expect(all).not.toMatch(/hunter2|abc123/);
    unlinkSync(join(dir, 'm.yaml'));
    expect((await reload()).status).toBe(200);
  });

  it('reloads under concurrent reranked searches: every search 200, each scored wholly by one set', async () => {
    const weights = [0.2, 0.8];
    const write = (w: number) => writeFileSync(join(dir, 't1.yaml'), pipeline('t1', 'f19a-t1', `first_stage:\n  fusion: {method: blend, weight: ${w}}\n`));
    // each set's scores, alone
    const expected: string[] = [];
    for (const w of weights) {
      write(w);
      expect((await reload()).status).toBe(200);
      expected.push(JSON.stringify(scores((await reranked('f19a-t1')).body)));
    }
    expect(expected[0]).not.toBe(expected[1]);
    let stop = false;
    const searches: Array<Promise<{ status: number; body: any }>> = [];
    const clients = Array.from({ length: 4 }, async () => {
      while (!stop) {
        const s = reranked('f19a-t1');
        searches.push(s);
        await s;
      }
    });
    // reload, alternating the two sets, until 10 reloads are done and 60 searches were sent
    for (let i = 0; i < 10 || searches.length < 60; i++) {
      write(weights[i % 2]!);
      expect((await reload()).status).toBe(200);
    }
    stop = true;
    await Promise.all(clients);
    const answers = await Promise.all(searches);
    const seen = new Set<string>();
    for (const a of answers) {
      expect(a.status, JSON.stringify(a.body).slice(0, 300)).toBe(200);
      const got = JSON.stringify(scores(a.body));
      expect(expected).toContain(got);
      seen.add(got);
    }
    expect(seen.size).toBe(2); // both sets answered searches during the reloads
  }, 300_000);

  it('a first pipeline with photos has the image models warmed before it serves', async () => {
    const imageModels = async () => ((await call('GET', '/_vlrerank/models')).body.models as any[]).filter((m) => m.task === 'image-encoder');
    expect((await imageModels()).every((m) => m.state !== 'loaded')).toBe(true);
    writeFileSync(join(dir, 'p.yaml'), pipeline('p', 'f19a-photos', '').replace('text: [title]', 'text: [title]\n  image: [image]'));
    const r = await reload();
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body.warmup).toMatchObject({ state: 'ready', media: true });
    const models = await imageModels();
    expect(models.length).toBeGreaterThan(0);
    expect(models.some((m) => m.state === 'loaded')).toBe(true);
  }, 300_000);

  it('a first pipeline that adds vectors at ingest has its writes through the proxy given them (the start\'s set added none: writes were not even looked at)', async () => {
    writeFileSync(join(dir, 'p.yaml'), pipeline('p', 'f19a-photos', 'vectors:\n  ingest: true\n  image: {field: img_vec, dims: 1280}\n').replace('text: [title]', 'text: [title]\n  image: [image]'));
    expect((await reload()).status).toBe(200);
    await fetch(`${engineUrl}/f19a-photos`, { method: 'DELETE' });
    await setupIndex(srv.services.engine, srv.services.pipelines.get('p')!, 'f19a-photos');
    const w = await call('PUT', '/f19a-photos/_doc/1?refresh=true', groceryDoc(catalog[0]!));
    expect(w.status, JSON.stringify(w.body)).toBe(201);
    const n = await fetch(`${engineUrl}/f19a-photos/_count`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: { exists: { field: 'img_vec' } } }) });
    expect(((await n.json()) as { count: number }).count).toBe(1);
  }, 300_000);

  it('a warm-up that fails (the image model not pulled): the set still serves, the answer says why, and its searches follow their failure policy', async () => {
    const tmp = mkdtempSync(join(tmpdir(), 'f19a-late-'));
    const models = join(tmp, 'models');
    mkdirSync(models);
    for (const m of readdirSync(MODELS)) if (m !== 'efficientnet-lite2-imagenet') symlinkSync(join(MODELS, m), join(models, m));
    const pdir = join(tmp, 'pipelines');
    mkdirSync(pdir);
    writeFileSync(join(pdir, 't1.yaml'), pipeline('t1', 'f19a-t1'));
    await fetch(`${engineUrl}/f19a-late`, { method: 'DELETE' });
    const docs = catalog.slice(0, 2).flatMap((c, i) => [JSON.stringify({ index: { _index: 'f19a-late', _id: String(i) } }), JSON.stringify(groceryDoc(c))]).join('\n') + '\n';
    expect((await fetch(`${engineUrl}/_bulk?refresh=true`, { method: 'POST', headers: { 'content-type': 'application/x-ndjson' }, body: docs })).status).toBe(200);
    const late = await startServer(
      parseConfig({ server: { host: '127.0.0.1', port: 0, ui: false, adminToken: TOKEN }, upstream: { urls: [engineUrl] }, log: { level: 'silent', access: false }, models: { dir: models, intraOpThreads: 2 }, media: { roots: [DATA] }, store: { disk: { path: 'off' } }, pipelines: { dir: pdir }, rerank: { admission: { maxQueueWaitMs: 300_000 } } }),
    );
    try {
      writeFileSync(join(pdir, 'late.yaml'), pipeline('late', 'f19a-late').replace('text: [title]', 'text: [title]\n  image: [image]'));
      const r = await fetch(`${late.url}/_vlrerank/pipelines/_reload`, { method: 'POST', headers: { authorization: `Bearer ${TOKEN}` } });
      const body = (await r.json()) as any;
      expect(r.status, JSON.stringify(body)).toBe(200);
      expect(body).toMatchObject({ added: ['late'], warmup: { state: 'failed', media: true, code: 'VLR_MODEL_MISSING' } });
      const q = await fetch(`${late.url}/f19a-late/_search`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: { match_all: {} }, ext: { vlrerank: { query: { text: 'apple' } } } }) });
      const got = (await q.json()) as any;
      expect(q.status, JSON.stringify(got).slice(0, 400)).toBe(200); // fail_open: served, the photos scored without their media
      expect(got.vlrerank.pipeline).toBe('late');
    } finally {
      await late.close();
      rmSync(tmp, { recursive: true, force: true });
    }
  }, 300_000);
});
