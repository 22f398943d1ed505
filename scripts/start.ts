/**
 * `npm start` — the README's first command. On a fresh machine:
 *   1. finds the demo data (VLRERANK_DATA_DIR, default ../shared/data) or says what to point it at;
 *   2. starts a local Elasticsearch (scripts/engines.ts: fetched from Maven Central, cached) unless
 *      VLRERANK_UPSTREAM names an existing cluster;
 *   3. finds the models (../shared/models when present, else `vlrerank models pull` into .models);
 *   4. starts the proxy in-process with the UI, media roots = the data folder, the pipelines folder;
 *   5. creates the demo indices THROUGH the proxy (grocery, coco, videos, scifact), or reuses them;
 *   6. waits for the reranker's warm-up (started by the server, in the background while the indices
 *      are made; or loads the models through the admin API when rerank.warmup is off) and prints the URLs.
 * The proxy and the UI answer from step 4 on (their URLs are printed then, with progress and an
 * ETA per index), but "Ready" is printed only once every demo index holds all its documents, each
 * with a current feature record where its pipeline keeps records (issue 12): the first start embeds
 * SciFact's 5,183 abstracts. A second run finds the indices with current records (right count,
 * every record made by the running models and settings) and reuses them: up in seconds.
 *
 * The admin token (model load/unload) is VLRERANK_ADMIN_TOKEN, or one generated once and kept in
 * .cache/demo-admin-token (mode 600). It is printed in a URL *fragment* (#token=…), which the
 * browser never sends to the server; the page moves it into localStorage.
 */
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync, readdirSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadConfig, parseConfig } from '../src/config/load.js';
import { withServeStoreDefaults } from '../src/config/store-defaults.js';
import { startServer } from '../src/server/start.js';
import { createLogger } from '../src/observability/logger.js';
import { loadPipelines } from '../src/pipelines/index.js';
import { DEFAULT_MODELS } from '../src/models/index.js';
import { inferenceIdle } from '../src/models/inference-idle.js';
import type { Reranker } from '../src/rerank/reranker.js';
import { ensureDemoIndices, checkDataDir, DEMO_INDEX_NAMES, type DemoIndexName } from './demo/indices.js';
import { bar, step, type Bar } from './demo/progress.js';
import { stopOnSignals } from './demo/stop.js';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const t0 = Date.now();
const secs = () => `${((Date.now() - t0) / 1000).toFixed(1)} s`;
// from the first line on: a signal during the engine's start or a model pull stops as cleanly as one after "Ready"
const stopper = stopOnSignals();

/** A failure already told to the user: thrown only to end main(), never printed again. */
class Reported extends Error {}

function fail(msg: string, code = 2): never {
  // a stop under way makes the steps fail (children killed, proxy closed): not an error to report
  if (stopper.stopping) throw new Reported(msg);
  process.stderr.write(`\nnpm start: ${msg}\n`);
  // exiting inside a native model run aborts the process (exit 134): wait for the run to end first
  void Promise.race([inferenceIdle(), new Promise((r) => setTimeout(r, 30_000).unref())]).finally(() => process.exit(code));
  // held-out probe round 12c: main's catch printed every such message a second time, with a stack trace
  throw new Reported(msg);
}

/** Bytes under a folder (for the download progress bar); missing folder = 0. */
function du(dir: string): number {
  let n = 0;
  const walk = (d: string) => {
    let entries;
    try {
      entries = readdirSync(d, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.isFile()) n += statSync(p, { throwIfNoEntry: false })?.size ?? 0;
    }
  };
  walk(dir);
  return n;
}

function runChild(cmd: string, args: string[], onTick?: () => void): Promise<{ code: number; out: string }> {
  return new Promise((res) => {
    const child = stopper.spawn(cmd, args, { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'], env: process.env });
    let out = '';
    child.stdout!.on('data', (d: Buffer) => (out += d));
    child.stderr!.on('data', (d: Buffer) => (out += d));
    const timer = onTick ? setInterval(onTick, 500) : undefined;
    child.on('close', (code) => {
      if (timer) clearInterval(timer);
      res({ code: code ?? 1, out });
    });
    child.on('error', (e) => {
      if (timer) clearInterval(timer);
      res({ code: 1, out: String(e) });
    });
  });
}

async function upstream(env: NodeJS.ProcessEnv): Promise<string[]> {
  if (env.VLRERANK_UPSTREAM) {
    step(`using the cluster at ${env.VLRERANK_UPSTREAM} (VLRERANK_UPSTREAM)`);
    return env.VLRERANK_UPSTREAM.split(',').map((s) => s.trim()).filter(Boolean);
  }
  const engines = await import('./engines.js');
  const url = engines.engineUrl('elasticsearch');
  if ((await engines.engineHealth('elasticsearch')).healthy) {
    step(`Elasticsearch already running on ${url}`);
    return [url];
  }
  // fetch in a child process so the bar can move while Maven downloads (~107 MB, cached in .engines/)
  const spec = engines.ENGINES.elasticsearch;
  const cached = existsSync(join(REPO, '.engines', 'downloads', spec.dist.file));
  if (!cached) {
    const before = du(join(REPO, '.engines'));
    const b = bar(`downloading Elasticsearch ${spec.version}`, 107, ' MB');
    const r = await runChild(process.execPath, ['--import', 'tsx', join(REPO, 'scripts', 'engines.ts'), 'fetch', 'elasticsearch'], () =>
      b.update(Math.min(107, (du(join(REPO, '.engines')) - before) / 1e6)),
    );
    b.update(107);
    b.stop();
    if (r.code !== 0) fail(`could not fetch Elasticsearch from Maven Central:\n${r.out.slice(-1500)}\nSet VLRERANK_UPSTREAM to an existing cluster instead.`);
  }
  step(`starting Elasticsearch ${spec.version} on ${url} (first start ≈ 10–30 s)…`);
  try {
    const r = await engines.startEngine('elasticsearch');
    step(`Elasticsearch ${r.started ? 'started' : 'reused'} in ${(r.ms / 1000).toFixed(1)} s`);
  } catch (e) {
    fail(`Elasticsearch did not start: ${(e as Error).message}\nSet VLRERANK_UPSTREAM to an existing cluster instead.`);
  }
  return [url];
}

async function modelsDir(env: NodeJS.ProcessEnv): Promise<string> {
  if (env.VLRERANK_MODELS_DIR) return env.VLRERANK_MODELS_DIR;
  const shared = resolve(REPO, '../shared/models');
  if (existsSync(shared)) return shared;
  const local = join(REPO, '.models');
  // the models the demo uses by default; `vlrerank models pull` skips files already verified
  const ids = [DEFAULT_MODELS.textEmbedder, DEFAULT_MODELS.imageClassifier, DEFAULT_MODELS.objectDetector];
  const b = bar('pulling models into .models', ids.length);
  let i = 0;
  for (const id of ids) {
    b.update(i, { note: id });
    const r = await runChild(process.execPath, ['--import', 'tsx', join(REPO, 'src/cli/main.ts'), 'models', 'pull', id, '--models-dir', local]);
    if (r.code !== 0) process.stdout.write(`\n  vlrerank models pull ${id} failed (reranking will report the missing model):\n${r.out.slice(-600)}\n`);
    b.update(++i, { note: id });
  }
  b.stop();
  return local;
}

function adminToken(env: NodeJS.ProcessEnv): string {
  if (env.VLRERANK_ADMIN_TOKEN) return env.VLRERANK_ADMIN_TOKEN;
  const file = join(REPO, '.cache', 'demo-admin-token');
  if (existsSync(file)) {
    const t = readFileSync(file, 'utf8').trim();
    if (t.length >= 8) return t;
  }
  mkdirSync(dirname(file), { recursive: true });
  const t = randomBytes(18).toString('base64url');
  writeFileSync(file, t + '\n', { mode: 0o600 });
  return t;
}

async function loadModels(url: string, token: string): Promise<void> {
  let list: Array<{ id: string; state?: string }>;
  try {
    const res = await fetch(`${url}/_vlrerank/models`);
    if (!res.ok) return step(`model admin API not available yet (HTTP ${res.status}); models load on first use`);
    const body = (await res.json()) as unknown;
    list = (Array.isArray(body) ? body : ((body as { models?: unknown }).models as typeof list)) ?? [];
  } catch {
    return;
  }
  // the models the demo's rerankers use by default (OCR is optional and loads on first use)
  const roles = new Set<string>([DEFAULT_MODELS.textEmbedder, DEFAULT_MODELS.imageClassifier, DEFAULT_MODELS.objectDetector]);
  const wanted = list.filter((m) => m.state !== 'loaded' && roles.has(m.id));
  if (!wanted.length) return;
  const b = bar('loading models', wanted.length);
  let i = 0;
  for (const m of wanted) {
    if (stopper.stopping) break;
    b.update(i, { note: m.id });
    const t = Date.now();
    const r = await fetch(`${url}/_vlrerank/models/${encodeURIComponent(m.id)}/_load`, { method: 'POST', headers: { authorization: `Bearer ${token}` } }).catch(() => null);
    if (!r?.ok) process.stdout.write(`\n  could not load ${m.id}: HTTP ${r?.status ?? 'network'} ${r ? (await r.text()).slice(0, 200) : ''}\n`);
    b.update(++i, { note: `${m.id} ${Date.now() - t} ms` });
  }
  b.stop();
}

/** The server warms the reranker in the background: say when it is ready, or why it is not. */
async function awaitWarmup(reranker: Reranker | undefined): Promise<boolean> {
  const warm = reranker?.warm;
  if (!warm || warm.state === 'idle') return false;
  if (warm.state === 'warming') step(`reranker warming up (${(warm.status().what ?? []).join(', ')})…`);
  await warm.wait();
  if (stopper.stopping) return true; // the stop aborted it: nothing to report
  const s = warm.status();
  if (s.state === 'ready') step(`reranker ready (models warm in ${((s.ms ?? 0) / 1000).toFixed(1)} s)`);
  else step(`reranker warm-up failed: ${s.code}: ${s.reason}\n    searches will load the models on first use and answer in first-stage order (degraded) if that fails`);
  return true;
}

async function main(): Promise<void> {
  const env = process.env;
  process.stdout.write('vlrerank demo — engine, proxy, demo indices and UI\n');
  const base = loadConfig({ env }); // validates VLRERANK_* at once (names the key and rule)
  const dataDir = resolve(REPO, base.demo.dataDir);
  const only = (env.VLRERANK_DEMO_INDICES ?? '').split(',').map((s) => s.trim()).filter(Boolean) as DemoIndexName[];
  // a typo (`grocry`) was a TypeError and a stack trace from deep in the data check (held-out probe round 12c)
  const unknown = only.filter((n) => !DEMO_INDEX_NAMES.includes(n) && n !== ('none' as string));
  if (unknown.length || (only.length > 1 && only.includes('none' as DemoIndexName))) {
    fail(`VLRERANK_DEMO_INDICES=${env.VLRERANK_DEMO_INDICES}: ${unknown.length ? `no demo index is called ${unknown.map((n) => `"${n}"`).join(', ')}` : '"none" goes alone'}. Name some of ${DEMO_INDEX_NAMES.join(', ')} (comma-separated), or none.`);
  }
  // `none`: the proxy and UI in front of the cluster's own indices, no demo index made or touched
  const names = only.join() === 'none' ? [] : only.length ? only : DEMO_INDEX_NAMES;
  const missing = checkDataDir(dataDir, names);
  if (missing.length) {
    fail(
      `demo data not found:\n  - ${missing.join('\n  - ')}\n` +
        `Point VLRERANK_DATA_DIR at a folder laid out like ../shared/data (grocery-store-products/, coco-captions-mini/,\n` +
        `intel-sample-videos/, scifact-beir/ — see each data set's PROVENANCE.md), e.g.\n  VLRERANK_DATA_DIR=/path/to/data npm start\n` +
        `or choose some indices with VLRERANK_DEMO_INDICES=scifact,grocery.`,
    );
  }
  step(`demo data: ${dataDir}`);
  const urls = await upstream(env);
  const models = await modelsDir(env);
  const token = adminToken(env);
  const pipelinesDir = resolve(REPO, base.pipelines.dir);
  const raw = JSON.parse(JSON.stringify(base)) as Record<string, Record<string, unknown>>;
  // features are kept on disk (<rerank.cacheDir>/features) unless VLRERANK_STORE_DISK_PATH says otherwise
  const config = withServeStoreDefaults(parseConfig(
    {
      ...raw,
      server: { ...raw.server, adminToken: token, ui: true },
      upstream: { ...raw.upstream, urls },
      log: { level: env.VLRERANK_LOG_LEVEL ?? 'warn', access: false },
      models: { ...raw.models, dir: models },
      media: { ...raw.media, roots: [...new Set([...(base.media.roots ?? []), dataDir])] },
      pipelines: { dir: pipelinesDir },
      demo: { dataDir },
    },
    'npm start',
  ));

  if (!existsSync(join(REPO, 'dist', 'ui', 'public', 'index.html'))) process.stdout.write('  (the UI is not built: run `npm run build:ui`; `npm start` builds it in prestart)\n');
  let running;
  try {
    running = await startServer(config, { logger: createLogger(config.log.level) });
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    if (err.code === 'EADDRINUSE') fail(`port ${config.server.port} is in use (another npm start?). Set VLRERANK_PORT to another port.`);
    throw e;
  }
  const server = running;
  stopper.onStop(() => server.close());
  const url = running.url;
  step(`proxy listening on ${running.url} → ${urls.join(', ')} (${secs()})`);
  step(`UI at ${url}/_vlrerank/ui/ — usable now; an index still being built answers with what it holds so far`);
  // the running reranker's record keys: a kept index is reused only if its records were made by these models and settings
  const recordKeys = await running.services.reranker.recordKeys().catch((e: Error) => {
    step(`feature-record keys unavailable (${e.message}): kept indices are reused by document count only`);
    return undefined;
  });

  const pipelines = Object.fromEntries(loadPipelines(pipelinesDir, REPO).flatMap((p) => names.filter((n) => p.index_patterns.includes(n)).map((n) => [n, p])));
  const bars = new Map<DemoIndexName, Bar>();
  const began = new Map<DemoIndexName, number>();
  const reports = await ensureDemoIndices({
    proxyUrl: running.url,
    dataDir,
    names,
    pipelines,
    recordKeys,
    onStart(name, total, action, rebuiltBecause) {
      if (action === 'reused') step(`index ${name}: ${total} documents already there with current records, reused (${secs()})`);
      else {
        began.set(name, Date.now());
        if (rebuiltBecause) step(`index ${name}: rebuilding it (${rebuiltBecause})`);
        if (action === 'resumed') step(`index ${name}: an earlier build stopped half-way; indexing the ${total} documents it lacks`);
        bars.set(name, bar(`indexing ${name}`, total, ' docs'));
      }
    },
    // a second npm start against the same cluster waits for this one's build of an index, then reuses it
    lock: { cluster: urls.join(','), onWait: (name) => step(`index ${name}: another npm start on this machine is building it; waiting for it to finish`) },
    onProgress(name, done, total) {
      const s = (Date.now() - (began.get(name) ?? Date.now())) / 1000;
      const rate = s > 0 ? done / s : 0;
      bars.get(name)?.update(done, { note: rate > 0 ? `${rate.toFixed(1)} docs/s, ETA ${Math.round((total - done) / rate)} s` : '' });
    },
  }).catch((e: Error) => (e instanceof Reported ? Promise.reject(e) : fail(`creating the demo indices through the proxy failed: ${e.message}`)));
  for (const b of bars.values()) b.stop();
  if (stopper.stopping) return; // what a stop cut short is no report
  for (const r of reports) {
    // the rate is of the documents this run sent: a resumed build's kept documents took no time here
    if (r.action !== 'reused') step(`index ${r.name}: ${r.docs} documents${r.action === 'resumed' ? ` (${r.indexed} indexed now)` : ''} in ${(r.ms / 1000).toFixed(1)} s (${(r.indexed / Math.max(r.ms / 1000, 0.001)).toFixed(1)} docs/s)${r.records !== undefined ? `, ${r.records} with current feature records` : ''}`);
    if (r.withoutVectors) {
      step(`  note: ${r.withoutVectors} ${r.name} document(s) have no vectors (kNN / search by image cannot find them)${r.vectorErrors.length ? ':' : ''}`);
      for (const e of r.vectorErrors.slice(0, 3)) process.stdout.write(`      ${e}\n`);
    }
    if (r.errors.length) step(`  ${r.errors.length} documents failed: ${r.errors.slice(0, 3).join('; ')}`);
  }
  if (!(await awaitWarmup(running.services.reranker))) await loadModels(running.url, token);
  if (stopper.stopping) return; // not "Ready": the stop under way exits
  // "Ready" promises every demo index with all its documents and, where kept, their feature records
  const short = reports.flatMap((r) => [
    ...(r.errors.length ? [`${r.name}: ${r.errors.length} documents were not indexed`] : []),
    ...(r.records !== undefined && r.records < r.docs ? [`${r.name}: ${r.records} of ${r.docs} documents hold a current feature record`] : []),
  ]);
  if (short.length) {
    process.stdout.write(
      `\nNot ready: ${short.join('; ')}.\n` +
        `Searches work, but a document without its record is embedded at search time (slow; may come back degraded). npm start again rebuilds it.\n`,
    );
  }
  process.stdout.write(
    `\n${short.length ? 'Serving (not ready)' : 'Ready'} in ${secs()}.\n\n` +
      `  UI          ${url}/_vlrerank/ui/\n` +
      `  UI + admin  ${url}/_vlrerank/ui/#token=${token}&page=playground   (hands the admin token to your browser; keep it local)\n` +
      // an OpenSearch cluster or VLRERANK_DEMO_INDICES=none: no grocery index to point at (held-out probe round 11c)
      `  proxy       ${url}   (point any Elasticsearch or OpenSearch client here: curl ${url}/${reports[0] ? `${reports[0].name}/_search` : '_cat/indices'})\n` +
      `  rerank API  ${url}/_vlrerank/rerank · ${url}/v1/rerank\n` +
      `  status      ${url}/_vlrerank/health · ${url}/_vlrerank/metrics\n\n` +
      // the local engine's line only when this script runs one: with VLRERANK_UPSTREAM (OpenSearch, say) there is none to stop
      `Ctrl+C (or SIGTERM / SIGHUP to npm) stops the proxy${env.VLRERANK_UPSTREAM ? '; the cluster at VLRERANK_UPSTREAM is left as it is' : ' (a local Elasticsearch keeps running for the next start: npx tsx scripts/engines.ts stop elasticsearch)'}.\n`,
  );
  if (env.VLRERANK_START_EXIT === '1') await stopper.stop('VLRERANK_START_EXIT=1');
}

// once a stop is under way, main's steps fail as their children and proxy go: the stop exits
main().catch((e: unknown) => (stopper.stopping || e instanceof Reported ? undefined : fail((e as Error)?.stack ?? String(e), 1)));
