/**
 * Shared CLI plumbing: the global config flags, and turning them into a loaded configuration.
 * A configuration error prints its message (naming key and rule) and exits 2, without a stack.
 */
import { accessSync, constants, readFileSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { Command } from 'commander';
import { loadConfig } from '../config/load.js';
import type { Config } from '../config/schema.js';
import { isVlrerankError, vlrError } from '../errors.js';
import { inferenceIdle } from '../models/inference-idle.js';
import { utf8FileText } from '../util/text-file.js';

export interface ConfigFlags {
  config?: string;
  upstream?: string;
  host?: string;
  port?: string;
  modelsDir?: string;
  logLevel?: string;
}

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

/** The flag of each configuration path set by addConfigFlags, so a bad value is blamed on what was typed. */
const FLAG_NAMES: Record<string, string> = { 'upstream.urls': '--upstream', 'server.host': '--host', 'server.port': '--port', 'models.dir': '--models-dir', 'log.level': '--log-level', 'server.role': '--role' };

/** The configuration from file, environment and flags; `extra`: dotted keys a command sets over the flags (e.g. `serve --role`, or `eval` starting its server on port 0). */
export function configFromFlags(flags: ConfigFlags, extra: Record<string, unknown> = {}): Config {
  const over: Record<string, unknown> = {};
  if (flags.upstream) over['upstream.urls'] = flags.upstream.split(',').map((s) => s.trim()).filter(Boolean);
  if (flags.host) over['server.host'] = flags.host;
  if (flags.port !== undefined) over['server.port'] = /^\d+$/.test(flags.port) ? Number(flags.port) : flags.port;
  if (flags.modelsDir) over['models.dir'] = flags.modelsDir;
  if (flags.logLevel) over['log.level'] = flags.logLevel;
  Object.assign(over, extra);
  return loadConfig({ file: flags.config, env: process.env, flags: over, flagNames: FLAG_NAMES });
}

/**
 * A file a command reads, as text; a missing, unreadable or non-regular file is a clear error naming
 * the flag. A pipe is read too (`/dev/stdin` under `… |`, a shell's `<(…)`): it was "not a file".
 */
export function readInputFile(file: string, flag: string): string {
  try {
    const st = statSync(file);
    if (!st.isFile() && !st.isFIFO()) throw vlrError('VLR_BAD_REQUEST', `${flag} ${file}: not a file`);
    return utf8FileText(readFileSync(file), `${flag} ${file}`);
  } catch (e) {
    if (isVlrerankError(e)) throw e;
    throw vlrError('VLR_BAD_REQUEST', `${flag} ${file}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message}`);
  }
}

/**
 * A file a command will write when it is done: checked before the work starts (its folder exists
 * and is writable, it is not a folder), so a long run is not lost to a typo in the last step.
 */
export function assertWritableFile(file: string, flag: string): void {
  const abs = resolve(file);
  let dirOk = false;
  try {
    dirOk = statSync(dirname(abs)).isDirectory();
    if (dirOk) accessSync(dirname(abs), constants.W_OK);
  } catch (e) {
    if (dirOk) throw vlrError('VLR_BAD_REQUEST', `${flag} ${file}: the folder ${dirname(abs)} is not writable`);
  }
  if (!dirOk) throw vlrError('VLR_BAD_REQUEST', `${flag} ${file}: the folder ${dirname(abs)} does not exist`);
  try {
    if (statSync(abs).isDirectory()) throw vlrError('VLR_BAD_REQUEST', `${flag} ${file}: is a folder, give a file name`);
  } catch (e) {
    if (isVlrerankError(e)) throw e; // absent: it will be created
  }
}

/** A Node system error (ENOENT, EACCES, EISDIR…): its message says what happened; its stack says nothing to a user. */
function isSystemError(e: unknown): e is NodeJS.ErrnoException {
  return e instanceof Error && typeof (e as NodeJS.ErrnoException).code === 'string' && typeof (e as NodeJS.ErrnoException).syscall === 'string';
}

/**
 * Exit code of a command the engine, a proxy or a model source could not serve — unreachable, too
 * slow, busy (429): sysexits.h's EX_UNAVAILABLE, "try again later". It was 2, a usage mistake's
 * code, so a cron wrapper or CI retry could not tell a cluster restarting from a typo (held-out
 * probe round 16c).
 */
export const UNAVAILABLE_EXIT = 69;
const UNAVAILABLE_CODES = new Set(['VLR_UPSTREAM_UNREACHABLE', 'VLR_UPSTREAM_TIMEOUT', 'VLR_OVERLOADED', 'VLR_DOWNLOAD']);
const UNAVAILABLE_ERRNOS = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN']);

/** The exit code of a failed command: 69 when what it needed did not answer, 2 for a mistake or refused work. */
function exitCodeOf(e: NodeJS.ErrnoException | (Error & { code: string })): number {
  return UNAVAILABLE_CODES.has(e.code!) || UNAVAILABLE_ERRNOS.has(e.code!) ? UNAVAILABLE_EXIT : 2;
}

/** Run a CLI action; VlrerankErrors and system errors print their reason and exit 2 (69: unavailable, see above), anything else exits 1. */
export async function runAction(fn: () => Promise<void> | void): Promise<void> {
  try {
    await fn();
  } catch (e) {
    // other model runs of this command may still be in flight: exiting under one aborts the process
    await inferenceIdle();
    if (isVlrerankError(e) || isSystemError(e)) {
      const code = exitCodeOf(e);
      const hint = code === UNAVAILABLE_EXIT ? ' (check that it is up and its address is right, then run the command again)' : '';
      process.stderr.write(`vlrerank: ${e.message}${hint}\n`);
      process.exit(code);
    }
    process.stderr.write(`vlrerank: ${(e as Error)?.stack ?? String(e)}\n`);
    process.exit(1);
  }
}
