/**
 * How a command's action ends when it fails: the exit code and the one line a user reads. Loaded
 * with the command definitions before the arguments are read (cli/commands.ts), so it imports only
 * errors.ts: the inference worker's idle wait is loaded when an action fails, never at start.
 */
import { isVlrerankError } from '../errors.js';

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

/**
 * Run a CLI action — its `import()` of the command's code included (cli/commands.ts); VlrerankErrors and system errors print their reason and exit 2 (69: unavailable, see above), anything else exits 1.
 */
export async function runAction(fn: () => Promise<void> | void): Promise<void> {
  try {
    await fn();
  } catch (e) {
    // other model runs of this command may still be in flight: exiting under one aborts the process.
    // Loaded here, not at start: the module the inference worker registered with, if the command loaded one
    const { inferenceIdle } = await import('../models/inference-idle.js');
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
