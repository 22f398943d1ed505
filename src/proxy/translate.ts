/**
 * The one boundary where undici's (and node's socket/TLS) errors become vlrerank codes:
 * VLR_UPSTREAM_UNREACHABLE (502), VLR_UPSTREAM_TIMEOUT (504), VLR_UPSTREAM_ERROR (502, or 499 for
 * a request the client aborted), VLR_BAD_REQUEST for a request that cannot be forwarded at all.
 * As @elastic/transport maps UND_ERR_* to its own errors in one switch.
 */
import { vlrError, VlrerankError } from '../errors.js';
import { isOutOfFiles, openFilesError } from '../util/process-limits.js';
import { CONNECTION_BROKEN, errorCode } from './retry.js';

export interface Timeouts {
  connectTimeoutMs: number;
  headersTimeoutMs: number;
  bodyTimeoutMs: number;
}

export function translateUpstreamError(err: unknown, node: string, t: Timeouts): VlrerankError {
  if (err instanceof VlrerankError) return err;
  const code = errorCode(err) ?? 'UNKNOWN';
  const e = err as Error;
  const details = { node };
  switch (code) {
    case 'UND_ERR_HEADERS_TIMEOUT':
      return vlrError('VLR_UPSTREAM_TIMEOUT', `upstream ${node} did not answer within ${t.headersTimeoutMs} ms`, { cause: e, details });
    case 'UND_ERR_BODY_TIMEOUT':
      return vlrError('VLR_UPSTREAM_TIMEOUT', `upstream ${node} stalled for ${t.bodyTimeoutMs} ms while sending its body`, { cause: e, details });
    case 'UND_ERR_ABORTED':
    case 'ABORT_ERR':
      return vlrError('VLR_UPSTREAM_ERROR', `request to upstream ${node} was aborted`, { cause: e, details, status: 499 });
    case 'UND_ERR_CONNECT_TIMEOUT':
      return vlrError('VLR_UPSTREAM_UNREACHABLE', `upstream ${node} did not accept a connection within ${t.connectTimeoutMs} ms`, { cause: e, details });
    case 'UND_ERR_REQ_CONTENT_LENGTH_MISMATCH':
    case 'UND_ERR_INVALID_ARG':
    case 'UND_ERR_NOT_SUPPORTED':
      return vlrError('VLR_BAD_REQUEST', `request cannot be forwarded: ${e.message}`, { cause: e, details });
    default:
      // vlrerank's own descriptors ran out (not the engine's fault): 503 naming the limit; the node is not marked down
      if (isOutOfFiles(e)) return openFilesError(`no connection to upstream ${node} could be opened`, e, details);
      if (CONNECTION_BROKEN.has(code) || code.startsWith('ERR_TLS') || /CERT|SSL|EPROTO/.test(code)) {
        return vlrError('VLR_UPSTREAM_UNREACHABLE', `upstream ${node} unreachable: ${e.message || code}`, { cause: e, details });
      }
      return vlrError('VLR_UPSTREAM_ERROR', `upstream ${node} failed: ${e?.message || code}`, { cause: e, details });
  }
}
