/**
 * The one errors module: every error vlrerank raises on purpose is a VlrerankError with a stable
 * `code` (never reused), an HTTP `status` and an Elasticsearch-style `type`, so that `http/` can
 * turn any of them into `{"error":{"type","reason","caused_by"?},"status"}` that the official ES
 * and OpenSearch clients parse as a ResponseError.
 *
 * Lower layers (models, features, rerank) throw these; only `http/` serialises them.
 * Low-level failures (undici, onnxruntime, sharp, ffmpeg) are translated at one boundary each,
 * in the module that talks to that library, into one of the codes below.
 */

export interface ErrorSpec {
  /** HTTP status sent to the client. */
  status: number;
  /** Elasticsearch-style `error.type` (snake_case, ends in _exception where ES would say so). */
  type: string;
  /** What the code means, for the docs and the uniqueness test. */
  doc: string;
}

/** Every code vlrerank can raise. Add new codes at the end; never rename or reuse one. */
export const ERROR_CODES = {
  VLR_CONFIG_INVALID: { status: 500, type: 'settings_exception', doc: 'the configuration failed validation' },
  VLR_BAD_REQUEST: { status: 400, type: 'illegal_argument_exception', doc: 'the request is malformed or names a bad value' },
  VLR_PARSE: { status: 400, type: 'parsing_exception', doc: 'the request body is not valid JSON / NDJSON' },
  VLR_NOT_FOUND: { status: 404, type: 'resource_not_found_exception', doc: 'no such vlrerank resource' },
  VLR_UNAUTHORIZED: { status: 401, type: 'security_exception', doc: 'the admin token is missing or wrong' },
  VLR_UPSTREAM_UNREACHABLE: { status: 502, type: 'upstream_unreachable_exception', doc: 'no upstream node accepted the connection' },
  VLR_UPSTREAM_TIMEOUT: { status: 504, type: 'upstream_timeout_exception', doc: 'the upstream did not answer in time' },
  VLR_UPSTREAM_ERROR: { status: 502, type: 'upstream_exception', doc: 'the upstream answered with something unusable' },
  VLR_MODEL_NOT_FOUND: { status: 404, type: 'model_not_found_exception', doc: 'no manifest for this model id' },
  VLR_MODEL_MISSING: { status: 503, type: 'model_missing_exception', doc: 'a model file is missing on disk (run vlrerank models pull)' },
  VLR_MODEL_CORRUPT: { status: 503, type: 'model_corrupt_exception', doc: 'a model file fails its sha256/size check' },
  VLR_MODEL_RUNTIME: { status: 500, type: 'inference_exception', doc: 'onnxruntime failed to load or run a model' },
  VLR_MODEL_NOT_ALLOWED: { status: 400, type: 'illegal_argument_exception', doc: 'the model may not be used for this task (e.g. random-weight fixtures for ranking)' },
  VLR_OVERLOADED: { status: 429, type: 'es_rejected_execution_exception', doc: 'a bounded queue is full' },
  VLR_TIMEOUT: { status: 504, type: 'timeout_exception', doc: 'an operation exceeded its time budget' },
  VLR_DOWNLOAD: { status: 502, type: 'download_exception', doc: 'no source could provide a model file' },
  VLR_MEDIA_TOO_LARGE: { status: 413, type: 'media_too_large_exception', doc: 'media exceeds the byte, pixel or duration limit' },
  VLR_MEDIA_UNSUPPORTED: { status: 415, type: 'media_unsupported_exception', doc: 'media cannot be decoded (corrupt or unsupported format)' },
  VLR_MEDIA_FORBIDDEN: { status: 403, type: 'media_forbidden_exception', doc: 'the media source is not allowed (SSRF guard, path outside roots)' },
  VLR_MEDIA_FETCH: { status: 502, type: 'media_fetch_exception', doc: 'fetching remote media failed' },
  VLR_MEDIA_TIMEOUT: { status: 504, type: 'media_timeout_exception', doc: 'decoding or fetching media took too long' },
  VLR_RERANK_FAILED: { status: 503, type: 'rerank_failed_exception', doc: 'the rerank stage failed and the pipeline is fail_closed' },
  VLR_REMOTE_SCORER: { status: 502, type: 'remote_scorer_exception', doc: 'the remote rerank backend failed' },
  VLR_PIPELINE_INVALID: { status: 400, type: 'illegal_argument_exception', doc: 'a rerank pipeline definition is invalid' },
  VLR_INTERNAL: { status: 500, type: 'internal_server_error', doc: 'an unexpected error (a bug): logged with its stack, never sent' },
  VLR_BODY_TOO_LARGE: { status: 413, type: 'request_entity_too_large_exception', doc: 'a request body vlrerank reads is over server.maxJsonBodyBytes (declared, streamed or decompressed)' },
  VLR_UNSUPPORTED_ENCODING: { status: 415, type: 'unsupported_media_type_exception', doc: 'a request body in a Content-Encoding or charset vlrerank does not read (or several codings stacked)' },
  VLR_BODY_TIMEOUT: { status: 408, type: 'request_timeout_exception', doc: 'no byte of a request body came for server.bodyIdleTimeoutMs (a body that trickles or stops): answered, then the connection closed' },
  VLR_BODY_DECODE: { status: 400, type: 'parsing_exception', doc: 'a request body is not what its Content-Encoding says (e.g. "gzip" that is not gzip)' },
  VLR_JSON_TOO_DEEP: { status: 400, type: 'parsing_exception', doc: 'a JSON body nests deeper than server.maxJsonDepth' },
  VLR_MODEL_VARIANT_MISSING: { status: 503, type: 'model_missing_exception', doc: 'the precision variant a configuration names (models.precision) has no file in the model manifest: a server fault, never the client\'s' },
  VLR_METHOD_NOT_ALLOWED: { status: 405, type: 'method_not_allowed_exception', doc: 'a vlrerank endpoint that exists was asked with a method it does not take (the answer carries Allow)' },
  VLR_OPEN_FILES: { status: 503, type: 'open_files_limit_exception', doc: 'the process ran out of file descriptors (EMFILE: ulimit -n; ENFILE: the system table) opening a socket or file: retry; the operator raises the limit' },
  VLR_CONTENT_TYPE: { status: 415, type: 'unsupported_media_type_exception', doc: 'a rerank API body whose Content-Type is not JSON (or is missing): what a browser page of another origin can send without asking (text/plain, a form)' },
  VLR_WRITE_RACED: { status: 409, type: 'version_conflict_engine_exception', doc: 'a `_bulk` update\'s feature record was computed from the stored document, and another write of it landed before the update: the record is not kept (it would describe that other document); searches compute its features, backfill writes it' },
} as const satisfies Record<string, ErrorSpec>;

export type ErrorCode = keyof typeof ERROR_CODES;

export interface EsErrorBody {
  error: { type: string; reason: string; caused_by?: { type: string; reason: string }; [k: string]: unknown };
  status: number;
}

export class VlrerankError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly type: string;
  /** Extra fields placed in the ES error object (e.g. `index`, `field`). */
  readonly details: Record<string, unknown>;

  constructor(code: ErrorCode, reason: string, options: { cause?: unknown; details?: Record<string, unknown>; status?: number } = {}) {
    super(reason, options.cause === undefined ? undefined : { cause: options.cause });
    const spec: ErrorSpec = ERROR_CODES[code];
    this.name = 'VlrerankError';
    this.code = code;
    this.status = options.status ?? spec.status;
    this.type = spec.type;
    this.details = options.details ?? {};
  }

  toJSON(): EsErrorBody {
    const error: EsErrorBody['error'] = { type: this.type, reason: this.message, ...this.details, vlrerank_code: this.code };
    const cause = this.cause;
    if (cause instanceof VlrerankError) error.caused_by = { type: cause.type, reason: cause.message };
    else if (cause instanceof Error && cause.message) error.caused_by = { type: 'exception', reason: cause.message };
    return { error, status: this.status };
  }
}

/** Shorthand: `throw vlrError('VLR_BAD_REQUEST', 'window must be ≥ from+size')`. */
export function vlrError(code: ErrorCode, reason: string, options?: { cause?: unknown; details?: Record<string, unknown>; status?: number }): VlrerankError {
  return new VlrerankError(code, reason, options);
}

/**
 * An error that is an expected answer, not a fault: an overload refusal, thousands a second when
 * clients retry without waiting. Built without a stack trace (capturing one was 5 % of the main
 * thread under bench:load's refusal storm), and nothing ever logs its stack.
 */
export function refusalError(code: ErrorCode, reason: string, options?: { details?: Record<string, unknown> }): VlrerankError {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  try {
    return new VlrerankError(code, reason, options);
  } finally {
    Error.stackTraceLimit = limit;
  }
}

export function isVlrerankError(e: unknown): e is VlrerankError {
  return e instanceof VlrerankError;
}

/** Any thrown value as a VlrerankError; unknown errors become VLR_INTERNAL with a generic reason (no stack leaks). */
export function toVlrerankError(e: unknown): VlrerankError {
  if (e instanceof VlrerankError) return e;
  return new VlrerankError('VLR_INTERNAL', 'internal error', { cause: e });
}

/** The ES-shaped body for any error; internal errors never carry their message or stack. */
export function esErrorBody(e: unknown): EsErrorBody {
  const err = toVlrerankError(e);
  if (err.code === 'VLR_INTERNAL') return { error: { type: err.type, reason: 'internal error, see the vlrerank log', vlrerank_code: err.code }, status: 500 };
  return err.toJSON();
}
