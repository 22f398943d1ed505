/**
 * Shared CLI plumbing of the commands' actions: the global config flags turned into a loaded
 * configuration, and the files a command reads or writes. A configuration error prints its message
 * (naming key and rule) and exits 2, without a stack (cli/run-action.ts). The flags themselves are
 * defined in cli/commands.ts, which main.ts loads before it reads its arguments.
 */
import { accessSync, constants, readFileSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { loadConfig } from '../config/load.js';
import type { Config } from '../config/schema.js';
import { isVlrerankError, vlrError } from '../errors.js';
import { utf8FileText } from '../util/text-file.js';

export interface ConfigFlags {
  config?: string;
  upstream?: string;
  host?: string;
  port?: string;
  modelsDir?: string;
  logLevel?: string;
}

/** The flag of each configuration path set by addConfigFlags (cli/commands.ts), so a bad value is blamed on what was typed. */
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
