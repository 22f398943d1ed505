/**
 * The process's resource limits as the kernel holds them (/proc/self/limits, Linux only; elsewhere
 * no limit is assumed), and what running out of open files looks like.
 *
 * Open files (RLIMIT_NOFILE: `ulimit -n`, systemd's `LimitNOFILE=`, docker's `--ulimit nofile=`) are
 * shared by client sockets, the upstream pools, lmdb, media reads and model files. Past the limit
 * every one of them fails with EMFILE: under `ulimit -n 256` and 300 clients a reranked search was a
 * 502 `upstream_exception` "connect EMFILE … - Local (undefined:undefined)", a photo the document
 * error `media_forbidden_exception` "cannot be opened", and the log said nothing at all (held-out
 * probe round 18a). `openFilesError` names the limit for either; callers log it (rate-limited).
 */
import { readFileSync } from 'node:fs';
import { vlrError, type VlrerankError } from '../errors.js';

const cached = new Map<string, number>();

/** The soft limit of a /proc/self/limits row ("Max open files", "Max file size"…), or Infinity. Read once per row: vlrerank never changes its own limits. */
export function processLimit(row: string): number {
  const known = cached.get(row);
  if (known !== undefined) return known;
  let limit = Infinity;
  try {
    const line = readFileSync('/proc/self/limits', 'utf8').split('\n').find((l) => l.startsWith(row));
    const soft = line?.slice(row.length).trim().split(/\s+/)[0];
    if (soft && /^\d+$/.test(soft)) limit = Number(soft);
  } catch {
    /* not Linux: no limit known */
  }
  cached.set(row, limit);
  return limit;
}

/** The soft open files limit (`ulimit -n`), or Infinity. */
export const openFilesLimit = (): number => processLimit('Max open files');
// read now: reading /proc/self/limits takes a descriptor, which is what is missing when the limit is named
openFilesLimit();

/** The errno code of an error or of one of its causes. */
function errnoCode(e: unknown): string | undefined {
  for (let c = e as { code?: unknown; cause?: unknown } | undefined, depth = 0; c && depth < 5; c = c.cause as typeof c, depth++) {
    if (c.code === 'EMFILE' || c.code === 'ENFILE') return c.code;
  }
  return undefined;
}

/** True when `e` (or its cause) is the process (EMFILE) or the system (ENFILE) out of file descriptors. */
export const isOutOfFiles = (e: unknown): boolean => errnoCode(e) !== undefined;

/** What to tell the operator: which limit, its value, and what to raise. */
export function outOfFilesReason(what: string, e: unknown): string {
  if (errnoCode(e) === 'ENFILE') return `${what}: the system's open files table is full (ENFILE, fs.file-max): raise fs.file-max`;
  const limit = openFilesLimit();
  const shown = Number.isFinite(limit) ? `ulimit -n ${limit}` : 'ulimit -n';
  return `${what}: the process's open files limit is reached (EMFILE, ${shown}): raise it (systemd LimitNOFILE=, docker --ulimit nofile=, Kubernetes: the runtime's default) or lower the load; served again as files close`;
}

type OutOfFilesListener = (where: 'open' | 'accept', reason: string) => void;
let listener: OutOfFilesListener | undefined;

/**
 * The one process-wide listener (serve's: a rate-limited warning and a counter) told each time
 * descriptors run out. Returns its removal, which leaves a listener set after it in place (a second
 * server in the same process, as tests start them).
 */
export function onOutOfFiles(l: OutOfFilesListener): () => void {
  listener = l;
  return () => {
    if (listener === l) listener = undefined;
  };
}

/** Tell the listener: `open` a file or socket failed, `accept` a client connection was closed at the door. */
export function reportOutOfFiles(where: 'open' | 'accept', reason: string): void {
  listener?.(where, reason);
}

/** The error a request gets when a file or socket could not be opened for want of descriptors: 503, retry; reported. */
export function openFilesError(what: string, e: unknown, details?: Record<string, unknown>): VlrerankError {
  const reason = outOfFilesReason(what, e);
  reportOutOfFiles('open', reason);
  return vlrError('VLR_OPEN_FILES', reason, { cause: e, details });
}

/** Descriptors kept for everything but client sockets: ~35 at rest, lmdb, model files, worker threads, media reads and headroom. */
const RESERVED_FILES = 128;

/**
 * Client connections to hold at once when `server.maxConnections` is unset: half of what the
 * reserve leaves (each client may hold an upstream connection too), at least 16; undefined (no
 * cap) when the limit is unknown. `ulimit -n` 256 → 64, 1024 → 448.
 */
export function connectionsForFiles(limit: number): number | undefined {
  if (!Number.isFinite(limit)) return undefined;
  return Math.max(16, Math.floor((limit - RESERVED_FILES) / 2));
}

/** Address space `vlrerank serve` needs to start and reach the engine: 32 GiB started; 24 GiB could not instantiate undici's WebAssembly HTTP parser (no engine reachable), 16 GiB died of SIGSEGV, 8 GiB of an uncaught Wasm "Out of memory" (held-out probe round 18a). */
export const MIN_ADDRESS_SPACE = 32 * 2 ** 30;

/**
 * Why the address-space limit (RLIMIT_AS: `ulimit -v`, systemd's `LimitAS=`) stops the process, or
 * undefined. Node reserves address space it never uses (each WebAssembly instance ~10 GiB of
 * guard), so the limit kills it long before memory runs short — memory is bounded by a cgroup.
 */
export function addressSpaceProblem(limit = processLimit('Max address space')): string | undefined {
  if (!Number.isFinite(limit) || limit >= MIN_ADDRESS_SPACE) return undefined;
  const gib = (n: number) => `${(n / 2 ** 30).toFixed(1)} GiB`;
  return `the address-space limit (ulimit -v ${Math.floor(limit / 1024)} KiB = ${gib(limit)}) is below the ${gib(MIN_ADDRESS_SPACE)} vlrerank needs to start: Node reserves address space it does not use (WebAssembly ~10 GiB per instance), and below it the process dies of SIGSEGV or "Cannot allocate Wasm memory" or cannot reach the engine. Remove it (ulimit -v unlimited, systemd LimitAS=infinity) and bound memory with a cgroup limit (docs/DEPLOYMENT.md "Running in a container")`;
}
