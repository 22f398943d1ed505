/**
 * `vlrerank eval`: measure what reranking changes on the user's own data (issue 14).
 *   proxy mode  `--index I --queries q.jsonl [--qrels … | --beir folder] [--pipeline a,b] [--window 20,50]`:
 *               every query through the search users run, against `--url` or a server this command
 *               starts in-process from the configuration (as `vlrerank serve` does);
 *   API mode    `--api --collection docs.jsonl --queries q.jsonl [--candidates run.trec]`: `process()`.
 * Prints a summary, and writes `--json` (the figures) and `--report` (one self-contained HTML file).
 * Every mistake in the flags or the files is a message and exit 2; never a stack trace.
 */
import { closeSync, existsSync, openSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { assertWritableFile, configFromFlags, type ConfigFlags } from './common.js';
import { vlrError } from '../errors.js';
import { startServer } from '../server/start.js';
import { Reranker } from '../rerank/reranker.js';
import { chunkingFromConfig } from '../rerank/chunking.js';
import { inferenceIdle } from '../models/inference-idle.js';
import { beirFiles, loadCollection, loadQrels, loadQueries, loadRun, selectionNotes, selectQueries, tiesNote, type EvalQuery, type Qrels } from '../eval/judgements.js';
import { absentIds, fetchSources, runProxyEval, SEARCH_TIMEOUT_MS } from '../eval/proxy-runner.js';
import { runApiEval } from '../eval/api-runner.js';
import { notInIndexNote, relevantNeverReturned, summarise, winsAndLosses, type ConfigRun, type EvalResult } from '../eval/summary.js';
import { previewIds, renderReport } from '../eval/report-html.js';
import { termSafe } from '../eval/terminal-text.js';
import { previewOf, previews, type Preview } from '../eval/thumbnails.js';
import { formatSummary } from '../eval/format.js';
import { fitMode, fitSettings } from './eval-fit-cmd.js';
import { finishStopped, stopNotes, stopOnSignals } from './eval-stop.js';
import { progress } from './eval-progress.js';
import type { Gain } from '../eval/metrics.js';

export interface EvalFlags extends ConfigFlags {
  index?: string;
  queries?: string;
  qrels?: string;
  beir?: string;
  split: string;
  pipeline?: string;
  window?: string;
  limit?: string;
  json?: string;
  report?: string;
  url?: string;
  gain: string;
  api?: boolean;
  collection?: string;
  candidates?: string;
  thumbnails: boolean;
  fit?: boolean;
  folds?: string;
  seed?: string;
  snippet?: string;
  knnBoost?: string;
  timeout?: string;
}

/** `--timeout <seconds>`: the longest wait for one search's answer through the proxy, in ms. */
function timeoutMs(v: string | undefined): number {
  if (v === undefined) return SEARCH_TIMEOUT_MS;
  if (!/^\d+(\.\d+)?$/.test(v.trim()) || !(Number(v) > 0)) throw vlrError('VLR_BAD_REQUEST', `--timeout must be a positive number of seconds, got "${v}"`);
  return Math.ceil(Number(v) * 1000);
}

function positiveInts(v: string, flag: string): number[] {
  const xs = v.split(',').map((s) => s.trim()).filter(Boolean);
  if (!xs.length || xs.some((x) => !/^\d+$/.test(x) || Number(x) < 1)) throw vlrError('VLR_BAD_REQUEST', `${flag} must be a positive integer or a comma-separated list of them, got "${v}"`);
  return [...new Set(xs.map(Number))];
}

/** Relative media paths of the queries are resolved against the queries file's folder. */
function absolutise<T extends { image?: string; video?: string }>(x: T, base: string): T {
  const abs = (p?: string) => (p && !/^[a-z][a-z0-9+.-]*:/i.test(p) && !isAbsolute(p) ? resolve(base, p) : p);
  return { ...x, ...(x.image ? { image: abs(x.image) } : {}), ...(x.video ? { video: abs(x.video) } : {}) };
}

/**
 * The query photos and clips this command's own server or library will read: one that is missing is
 * named before the run — it stopped the run at its query, after the models had loaded (held-out eval
 * probe round). With `--url` the proxy may run elsewhere and read paths of its own: not checked here.
 */
function assertQueryMedia(queries: EvalQuery[], file: string): void {
  for (const q of queries) {
    for (const [kind, p] of [['image', q.image], ['video', q.video]] as const) {
      if (!p || /^[a-z][a-z0-9+.-]*:/i.test(p)) continue;
      const there = existsSync(p);
      if (!there || !statSync(p).isFile()) throw vlrError('VLR_BAD_REQUEST', `${file}: query "${q.id}": ${kind} ${p} ${there ? 'is not a file' : 'does not exist'}`);
    }
  }
}

/**
 * An output file opened once before the run: a folder its permission bits call writable may still
 * refuse the write (/proc, /sys, a read-only mount), found only once the run was done (held-out eval
 * probe round: `--report /proc/r.html` failed after every search, its report lost). A file the probe
 * creates is removed again.
 */
function probeWritable(file: string, flag: string): void {
  const existed = existsSync(file);
  try {
    closeSync(openSync(file, 'a'));
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === 'EACCES' || code === 'EPERM' ? `: permission denied to this user, uid ${process.getuid?.() ?? '?'}` : code === 'EROFS' ? ': a read-only file system' : '';
    throw vlrError('VLR_BAD_REQUEST', `${flag} ${file}: cannot be written (${code ?? (e as Error).message}${why})`);
  }
  if (!existed) rmSync(file, { force: true });
}

/**
 * An output file, before the run. An existing file is written in place, so its folder's permission
 * does not matter: as a user other than root (held-out probe round 14c, left), a writable file in a
 * read-only folder was refused as "the folder is not writable", and a folder given as the file was
 * named as its parent's permission instead of "is a folder".
 */
function checkOutput(file: string, flag: string): void {
  const st = statSync(file, { throwIfNoEntry: false });
  if (st?.isDirectory()) throw vlrError('VLR_BAD_REQUEST', `${flag} ${file}: is a folder, give a file name`);
  if (!st) assertWritableFile(file, flag);
  probeWritable(file, flag);
}

interface Inputs {
  queries: EvalQuery[];
  qrels?: Qrels;
  corpus?: string;
  notes: string[];
  mediaDirs: string[];
}

function inputs(flags: EvalFlags): Inputs {
  // written at the end of a run that can take minutes: a bad path is refused before it starts
  for (const [flag, file] of [['--json', flags.json], ['--report', flags.report], ['--snippet', flags.snippet]] as const) {
    if (file && !(flag === '--json' && file === '-')) checkOutput(file, flag);
  }
  if (flags.beir && (flags.queries || flags.qrels)) throw vlrError('VLR_BAD_REQUEST', '--beir names the queries and qrels itself: give --beir, or --queries with --qrels, not both');
  const files = flags.beir ? beirFiles(resolve(flags.beir), flags.split) : undefined;
  const qfile = files?.queries ?? (flags.queries ? resolve(flags.queries) : undefined);
  if (!qfile) throw vlrError('VLR_BAD_REQUEST', 'give the queries: --queries q.jsonl (or --beir <folder>)');
  const loaded = loadQueries(qfile);
  const qrelsFile = files?.qrels ?? (flags.qrels ? resolve(flags.qrels) : undefined);
  let qrels: Qrels | undefined = qrelsFile ? loadQrels(qrelsFile) : loaded.qrels.size ? loaded.qrels : undefined;
  if (qrelsFile && loaded.qrels.size) for (const [q, m] of loaded.qrels) if (!qrels!.has(q)) qrels!.set(q, m);
  const limit = flags.limit !== undefined ? positiveInts(flags.limit, '--limit')[0] : undefined;
  const sel = selectQueries(loaded.queries, qrels, limit);
  const notes = qrels ? selectionNotes(sel, { beir: !!flags.beir, fit: !!flags.fit }) : [];
  if (!qrels) qrels = undefined;
  const base = dirname(qfile);
  const queries = sel.queries.map((q) => absolutise(q, base));
  if (!flags.url) assertQueryMedia(queries, qfile);
  return { queries, qrels, corpus: files?.corpus, notes, mediaDirs: [base] };
}


async function queryPreviews(result: EvalResult, queries: EvalQuery[], ffmpegPath: string): Promise<Record<string, Preview>> {
  const out: Record<string, Preview> = {};
  const { wins, losses } = winsAndLosses(result.perQuery);
  const shown = new Set([...wins, ...losses].map((r) => r.id));
  for (const q of queries) if (shown.has(q.id) && (q.image || q.video)) out[`query:${q.id}`] = await previewOf({ image: q.image, video: q.video }, { ffmpegPath });
  return out;
}

/**
 * The summary, and the files asked for. `--json -` writes the JSON alone on stdout and the summary on
 * stderr, for `| jq`: it wrote a file named "-" in the working folder, and the summary to the pipe
 * (held-out probe round 16c).
 */
async function write(flags: EvalFlags, result: EvalResult, runs: ConfigRun[], docPreviews: () => Promise<Record<string, Preview>>): Promise<void> {
  const say = flags.json === '-' ? process.stderr : process.stdout;
  say.write(`${formatSummary(result)}\n`);
  if (flags.json === '-') process.stdout.write(`${JSON.stringify({ ...result, runs }, null, 2)}\n`);
  else if (flags.json) {
    writeFileSync(flags.json, `${JSON.stringify({ ...result, runs }, null, 2)}\n`);
    say.write(`figures written to ${termSafe(flags.json)}\n`);
  }
  if (flags.report) {
    writeFileSync(flags.report, renderReport(result, runs, flags.thumbnails ? await docPreviews() : {}));
    say.write(`report written to ${termSafe(flags.report)}\n`);
  }
}

/** The vlrerank to search through: `--url`, or one started in-process from the configuration (as `vlrerank serve`). */
async function proxyTarget(flags: EvalFlags, inp: Inputs): Promise<{ url: string; label?: string; close: () => Promise<void> }> {
  const base = configFromFlags(flags);
  if (flags.url) return { url: flags.url, close: async () => {} };
  const config = configFromFlags(flags, {
    'server.port': 0,
    'server.host': '127.0.0.1',
    'server.ui': false,
    'log.level': flags.logLevel ?? 'warn',
    'log.access': false,
    'media.roots': [...new Set([...base.media.roots, ...inp.mediaDirs])],
  });
  const running = await startServer(config);
  // measure searches, not the model load: wait for the warm-up first
  if (running.services.reranker.warm.state === 'warming') await running.services.reranker.warm.wait();
  return {
    url: running.url,
    // its loopback address is no address the user gave: messages name it for what it is
    label: `the in-process vlrerank (upstream ${config.upstream.urls.join(', ')})`,
    close: async () => {
      await running.close();
      await inferenceIdle();
    },
  };
}

async function proxyMode(flags: EvalFlags): Promise<void> {
  if (!flags.index) throw vlrError('VLR_BAD_REQUEST', 'give the index to evaluate: --index <name> (or --api --collection docs.jsonl for the rerank library)');
  if (flags.collection || flags.candidates) throw vlrError('VLR_BAD_REQUEST', '--collection and --candidates belong to --api mode');
  const inp = inputs(flags);
  const windows = positiveInts(flags.window ?? '50', '--window');
  const wait = timeoutMs(flags.timeout);
  const pipelines = flags.pipeline ? flags.pipeline.split(',').map((s) => s.trim()).filter(Boolean) : [undefined];
  const base = configFromFlags(flags);
  if (flags.fit) {
    const fit = fitSettings(flags, inp, windows, pipelines);
    const target = await proxyTarget(flags, inp);
    try {
      await fitMode({ ...fit, url: target.url, index: flags.index, queries: inp.queries, qrels: inp.qrels!, gain: flags.gain as Gain, progress, timeoutMs: wait, notes: inp.notes });
    } finally {
      await target.close();
    }
    return;
  }
  const { url, label, close } = await proxyTarget(flags, inp);
  const stop = stopOnSignals();
  try {
    const bar = progress(pipelines.length * windows.length * inp.queries.length);
    const { runs, stopped } = await runProxyEval({ url, label, index: flags.index, queries: inp.queries, pipelines, windows, onQuery: bar.tick, signal: stop.signal, timeoutMs: wait });
    bar.stop();
    if (runs.length) {
      const unseen = relevantNeverReturned(runs, inp.qrels);
      const absent = unseen.ids.length ? ((await absentIds(url, flags.index, unseen.ids)) ?? []) : [];
      const notes = [...inp.notes, ...notInIndexNote(absent, unseen.relevant, `index ${flags.index}`), ...stopNotes(stopped)];
      const result = summarise({ mode: 'proxy', target: { index: flags.index, url: flags.url ?? `in-process (upstream ${base.upstream.urls.join(', ')})` }, runs, queries: inp.queries, qrels: inp.qrels, gain: flags.gain as Gain, notes, stopped });
      await write(flags, result, runs, async () => {
        const ids = previewIds(result);
        const sources = await fetchSources(url!, flags.index!, ids).catch(() => new Map<string, Record<string, unknown>>());
        return { ...(await previews(sources, ids, { ffmpegPath: base.media.ffmpegPath })), ...(await queryPreviews(result, inp.queries, base.media.ffmpegPath)) };
      });
    }
    finishStopped(stopped, runs.length > 0);
  } finally {
    stop.dispose();
    await close();
  }
}

async function apiMode(flags: EvalFlags): Promise<void> {
  if (flags.index || flags.url || flags.pipeline) throw vlrError('VLR_BAD_REQUEST', '--api evaluates the rerank library on a collection: --index, --url and --pipeline belong to the proxy mode');
  const inp = inputs(flags);
  const file = flags.collection ? resolve(flags.collection) : inp.corpus;
  if (!file) throw vlrError('VLR_BAD_REQUEST', 'give the documents: --api --collection docs.jsonl (or a --beir folder holding corpus.jsonl)');
  const cdir = dirname(file);
  const collection = loadCollection(file).map((d) => absolutise(d, cdir));
  const loadedRun = flags.candidates ? loadRun(resolve(flags.candidates)) : undefined;
  const candidates = loadedRun?.run;
  const config = configFromFlags(flags);
  if (!flags.window && !candidates && collection.length > config.rerank.maxDocuments) {
    throw vlrError('VLR_BAD_REQUEST', `the collection holds ${collection.length} documents, more than one rerank takes (rerank.maxDocuments ${config.rerank.maxDocuments}): give --candidates (a first-stage run) or --window`);
  }
  const windows = positiveInts(flags.window ?? String(candidates ? 100 : collection.length), '--window');
  const named = collection.flatMap((d) => [d.image, d.video]).filter((p): p is string => !!p && isAbsolute(p)).map((p) => dirname(p));
  const reranker = new Reranker({
    modelsDir: config.models.dir,
    device: config.models.device,
    mediaRoots: [...new Set([...config.media.roots, cdir, ...inp.mediaDirs, ...named])],
    cacheDir: config.rerank.cacheDir,
    maxDocuments: Math.max(config.rerank.maxDocuments, ...windows),
    weights: config.rerank.weights,
    chunking: chunkingFromConfig(config.rerank.chunking),
    // features kept on disk or in Redis (store.*) serve a second run: comparing configurations costs one model pass
    store: config.store,
    remoteUrls: config.rerank.remote.urls,
    remoteModel: config.rerank.remote.model,
  });
  try {
    // measure reranking, not the model load: load the models the collection needs first
    const media = collection.some((d) => d.image || d.video) || inp.queries.some((q) => q.image || q.video);
    await reranker.warmup({ media });
    const bar = progress(windows.length * inp.queries.length);
    const stop = stopOnSignals();
    const { runs, notes, stopped } = await runApiEval({ reranker, collection, queries: inp.queries, candidates, windows, onQuery: bar.tick, signal: stop.signal }).finally(stop.dispose);
    bar.stop();
    if (runs.length) {
      const byId = new Map(collection.map((d) => [d.id, d as unknown as Record<string, unknown>]));
      const unseen = relevantNeverReturned(runs, inp.qrels);
      const absent = notInIndexNote(unseen.ids.filter((d) => !byId.has(d)), unseen.relevant, `the collection`);
      const result = summarise({ mode: 'api', target: { collection: file, ...(flags.candidates ? { candidates: flags.candidates } : {}) }, runs, queries: inp.queries, qrels: inp.qrels, gain: flags.gain as Gain, notes: [...inp.notes, ...tiesNote(loadedRun?.tied ?? [], flags.candidates ?? ''), ...notes, ...absent, ...stopNotes(stopped)], stopped });
      await write(flags, result, runs, async () => ({ ...(await previews(byId, previewIds(result), { ffmpegPath: config.media.ffmpegPath })), ...(await queryPreviews(result, inp.queries, config.media.ffmpegPath)) }));
    }
    finishStopped(stopped, runs.length > 0);
  } finally {
    await reranker.close();
  }
}

/** The action of `vlrerank eval` (its flags: cli/commands.ts), loaded when the command runs. */
export async function evalCommand(flags: EvalFlags): Promise<void> {
  if (flags.gain !== 'exponential' && flags.gain !== 'linear') throw vlrError('VLR_BAD_REQUEST', `--gain must be exponential or linear, got "${flags.gain}"`);
  if (!flags.fit && (flags.folds || flags.seed || flags.snippet || flags.knnBoost)) throw vlrError('VLR_BAD_REQUEST', '--folds, --seed, --snippet and --knn-boost belong to --fit');
  if (flags.api && flags.fit) throw vlrError('VLR_BAD_REQUEST', '--fit runs through the proxy (--index): it cannot be combined with --api');
  try {
    if (flags.api) await apiMode(flags);
    else await proxyMode(flags);
  } catch (e) {
    // its message names ids and texts from the user's files: printed on the terminal, escaped
    if (e instanceof Error) {
      e.message = termSafe(e.message);
      if (e.stack) e.stack = e.stack.split('\n').map(termSafe).join('\n');
    }
    throw e;
  }
  await inferenceIdle();
}
