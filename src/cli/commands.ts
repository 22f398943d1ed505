/**
 * The commands of `vlrerank`: their names, arguments, flags and help texts, which commander checks
 * before anything runs. Each action loads its command's code with `import()` when it runs: main.ts
 * loaded every command module (the models, server, engine and feature code with them) before it read
 * its arguments, so `vlrerank --version`, a `--help` or a usage mistake cost ~1.7 s of CPU (cli28).
 *
 * This module, and everything it imports, is loaded at every start: commander, run-action.ts,
 * errors.ts and engine/refusals.ts (the --max-refusals default); a type from a command's module is
 * `import type` (erased). The rule `cli-start-loads-no-command-code` (scripts/import-rules.ts) names
 * any other static import reached from main.ts.
 */
import type { Command } from 'commander';
import { DEFAULT_MAX_REFUSALS } from '../engine/refusals.js';
import type { BackfillFlags } from './backfill-cmd.js';
import type { ConfigFlags } from './common.js';
import type { EvalFlags } from './eval-cmd.js';
import type { IndexFlags } from './index-cmd.js';
import type { ModelFlags } from './models.js';
import type { RerankFlags } from './rerank.js';
import { runAction } from './run-action.js';

/**
 * The configuration flags a command reads: `upstream` for those that talk to the cluster, `listen`
 * (`--host`, `--port`) for those that serve or show the configuration. Every command offered all of
 * them: `rerank --port 1` or `models list --upstream x` were accepted and did nothing, their help
 * saying "address to listen on" for commands that listen nowhere (held-out probe round 16c). The
 * environment variables still apply to every command.
 */
export function addConfigFlags(cmd: Command, reads: { upstream?: boolean; listen?: boolean } = { upstream: true, listen: true }): Command {
  cmd.option('-c, --config <file>', 'YAML configuration file (or VLRERANK_CONFIG)');
  if (reads.upstream) cmd.option('--upstream <urls>', 'comma-separated cluster URLs (or VLRERANK_UPSTREAM)');
  if (reads.listen) cmd.option('--host <host>', 'address to listen on (or VLRERANK_HOST)').option('--port <port>', 'port to listen on (or VLRERANK_PORT)');
  return cmd.option('--models-dir <dir>', 'models directory (or VLRERANK_MODELS_DIR)').option('--log-level <level>', 'log level (or VLRERANK_LOG_LEVEL)');
}

export function registerServe(program: Command): void {
  addConfigFlags(program.command('serve').description('run the proxy (and rerank API) in front of the cluster'))
    .option('--role <role>', 'proxy (default: the drop-in proxy, rerank APIs, UI) or worker (rerank APIs only, for a scorer machine)')
    .action((flags: ConfigFlags & { role?: string }) => runAction(async () => (await import('./serve.js')).serve(flags)));
}

export function registerConfig(program: Command): void {
  addConfigFlags(program.command('config').description('print the effective configuration, secrets redacted'))
    .option('--json', 'print JSON instead of YAML')
    .action((flags: ConfigFlags & { json?: boolean }) => runAction(async () => (await import('./config-cmd.js')).showConfig(flags)));
}

export function registerModels(program: Command): void {
  const models = program.command('models').description('list, pull and verify model files');

  addConfigFlags(models.command('list').description('models with a manifest, and whether their files are on disk'), {})
    .option('--json', 'print JSON')
    .action((flags: ModelFlags) => runAction(async () => (await import('./models.js')).listModels(flags)));

  addConfigFlags(models.command('pull').argument('<id>', 'model id (see models list)').description('fetch a model into the models directory'), {})
    .option('--precision <p>', `fp32 | fp16 | int8 (default: the manifest's)`)
    .option('--all', 'every file of the manifest (all precisions)')
    .option('--mirror <dirs>', 'comma-separated mirror folders (or VLRERANK_MODEL_MIRRORS)')
    .action((id: string, flags: ModelFlags) => runAction(async () => (await import('./models.js')).pullModels(id, flags)));

  addConfigFlags(models.command('verify').argument('[id]', 'model id (default: every model with files on disk)').description('check model files on disk (size and sha256)'), {})
    .option('--precision <p>', 'fp32 | fp16 | int8')
    .option('--all', 'every file of the manifest (all precisions)')
    .option('--json', 'print JSON')
    .action((id: string | undefined, flags: ModelFlags) => runAction(async () => (await import('./models.js')).verifyModels(id, flags)));
}

export function registerIndex(program: Command): void {
  const cmd = program.command('index').description('prepare indices for reranking: mappings and vectors');
  addConfigFlags(cmd.command('setup <index>').description('create the index (or add missing fields) with the vector mapping of its pipeline'), { upstream: true })
    .option('--pipeline <name>', 'pipeline to use (default: the one whose index_patterns match)')
    .option('--write-template', "when the index template that makes this name's next index (a rollover, a data stream) lacks the pipeline's fields: write component template <pipeline>-vlrerank and add it to that template's composed_of (default: print it)")
    .action((index: string, flags: IndexFlags) => runAction(async () => (await import('./index-cmd.js')).setup(index, flags)));
  addConfigFlags(cmd.command('backfill <index>').description("write the pipeline's feature records and vectors into documents already in the index (resumable)"), { upstream: true })
    .option('--pipeline <name>', 'pipeline to use (default: the one whose index_patterns match)')
    .option('--batch <n>', 'documents per page and bulk request', '32')
    .option('--concurrency <n>', 'pages computed at once', '2')
    .option('--max-docs-per-second <n>', 'cap on the pace the cluster sees (default: none)')
    .option('--max-refusals <n>', "the engine's 429s (write queue full) waited out per write, its Retry-After each time, before the run stops", String(DEFAULT_MAX_REFUSALS))
    .option('--no-ceiling', 'skip the model-alone ceiling measured after the run')
    .action((index: string, flags: BackfillFlags) => runAction(async () => (await import('./backfill-cmd.js')).backfillIndex(index, flags)));
}

export function registerRerank(program: Command): void {
  addConfigFlags(
    program
      .command('rerank')
      .description('rank the documents of a JSONL file against a query (text, image or video) with the local models')
      .option('-q, --query <text>', 'query text')
      .option('--query-image <file>', 'query image (path, URL or data: URI)')
      .option('--query-video <file>', 'query video')
      .requiredOption('-d, --docs <file>', 'JSONL: one document per line (string, {text,image,video}, or plain text); - reads standard input')
      .option('-t, --top <n>', 'show the best n')
      .option('--json', 'print JSON instead of a table')
      .option('--jsonl', 'print one JSON line per result, best first: {index, score, document}')
      .option('--explain', 'include per-signal explanations (JSON output)')
      .option('--instruction <text>', 'task instruction (used by remote backends)')
      .option('--fps <n>', 'video frames per second')
      .option('--max-frames <n>', 'video frame cap'),
    {},
  ).action((flags: RerankFlags) => runAction(async () => (await import('./rerank.js')).rerank(flags)));
}

export function registerEval(program: Command): void {
  addConfigFlags(
    program
      .command('eval')
      .description('measure ranking quality, agreement and latency of reranking on your own queries (JSON and an HTML report)')
      .option('--index <name>', 'index to search through the proxy')
      .option('--queries <file>', 'queries JSONL: {"_id", "text"?, "image"?, "video"?, "query"? (first-stage DSL), "relevant"?}')
      .option('--qrels <file>', 'judgements: BEIR/TREC qrels TSV, or graded JSONL {"query_id", "doc_id", "relevance"}')
      .option('--beir <folder>', 'a BEIR folder (queries.jsonl, qrels/<split>.tsv, corpus.jsonl)')
      .option('--split <name>', 'qrels split of a BEIR folder', 'test')
      .option('--pipeline <names>', 'pipeline(s) to compare, comma-separated (default: the index\'s own)')
      .option('--window <list>', 'rerank window(s), comma-separated (default 50; --api: 100 with --candidates, else the whole collection)')
      .option('--limit <n>', 'evaluate the first n queries (judged ones, in judgement order)')
      .option('--json <file>', 'write the figures as JSON (- : to stdout, the summary then on stderr)')
      .option('--report <file>', 'write a self-contained HTML report')
      .option('--url <url>', 'a running vlrerank to search through (default: start one in-process from the configuration)')
      .option('--timeout <seconds>', 'longest wait for one search through the proxy; past it the run stops with what it measured (default 120)')
      .option('--gain <kind>', 'nDCG gain: exponential (2^rel-1, default) or linear (trec_eval)', 'exponential')
      .option('--api', 'evaluate the rerank library (process()) on a JSONL collection, no engine')
      .option('--collection <file>', '--api: documents JSONL {"_id", "text"?, "title"?, "image"?, "video"?}')
      .option('--candidates <file>', '--api: first-stage run (TREC run file, or "qid docid score")')
      .option('--no-thumbnails', 'leave thumbnails out of the report')
      .option('--fit', 'fit the fusion (signal weights, raw vs calibrated, first-stage blend) on the judged queries by k-fold cross-validation; prints held-out figures and a pipeline snippet')
      .option('--folds <k>', '--fit: cross-validation folds (default 5)')
      .option('--seed <n>', '--fit: seed of the fold split (default 42)')
      .option('--snippet <file>', '--fit: write the pipeline snippet (YAML) there (default: printed)')
      .option('--knn-boost <list>', '--fit with a hybrid first stage: the boosts of the bridge kNN to choose among, comma-separated (default 1,2,5,10,20,50; the pipeline\'s own is always tried)'),
    { upstream: true },
  ).action((flags: EvalFlags) => runAction(async () => (await import('./eval-cmd.js')).evalCommand(flags)));
}
