/**
 * Media given inline in the request: `data:` URIs (RFC 2397) and bare base64 / base64url, decoded
 * strictly (a stray character is an error, not skipped as Buffer.from would) and bounded in bytes
 * before and after decoding. Errors are VLR_BAD_REQUEST or VLR_MEDIA_TOO_LARGE.
 * Never touches the network or the file system.
 */
import { vlrError } from '../../errors.js';
import { tooLarge } from './errors.js';

/** RFC 2397 `data:[<mediatype>][;base64],<data>`. */
export function decodeDataUri(uri: string, maxBytes: number): { bytes: Buffer; mime?: string } {
  const comma = uri.indexOf(',');
  if (comma < 0) throw vlrError('VLR_BAD_REQUEST', 'data: URI has no comma');
  const meta = uri.slice(5, comma);
  const payload = uri.slice(comma + 1);
  const parts = meta.split(';');
  const isBase64 = parts.some((p) => p.toLowerCase() === 'base64');
  const mime = parts[0]?.trim() || undefined;
  if (isBase64) return { bytes: decodeBase64(payload, maxBytes), mime };
  if (payload.length > maxBytes * 3) throw tooLarge('data: URI', maxBytes);
  let bytes: Buffer;
  try {
    bytes = Buffer.from(decodeURIComponent(payload), 'latin1');
  } catch {
    throw vlrError('VLR_BAD_REQUEST', 'data: URI has invalid percent-encoding');
  }
  if (bytes.length > maxBytes) throw tooLarge('data: URI', maxBytes, bytes.length);
  return { bytes, mime };
}

/** Strict base64 / base64url: refuses stray characters instead of skipping them as Buffer.from does. */
export function decodeBase64(text: string, maxBytes: number): Buffer {
  const compact = text.replace(/\s+/g, '');
  if (Math.floor((compact.length * 3) / 4) > maxBytes + 3) throw tooLarge('base64 media', maxBytes);
  if (!/^[A-Za-z0-9+/_-]*={0,2}$/.test(compact)) throw vlrError('VLR_BAD_REQUEST', `media is neither a URL, a data: URI, a path nor valid base64: ${notBase64(text)}`);
  const bytes = Buffer.from(compact, compact.includes('-') || compact.includes('_') ? 'base64url' : 'base64');
  if (bytes.length === 0) throw vlrError('VLR_BAD_REQUEST', 'base64 media is empty');
  if (bytes.length > maxBytes) throw tooLarge('base64 media', maxBytes, bytes.length);
  return bytes;
}

/** What makes a text no base64, for a client to find it: the first stray character and where, or misplaced padding. */
function notBase64(text: string): string {
  const stray = /[^\sA-Za-z0-9+/_=-]/.exec(text);
  if (stray) return `'${stray[0]}' at character ${stray.index + 1} is not base64${stray[0] === '%' ? ' (percent-encoded? send the base64 text as it is)' : ''}`;
  return "'=' (padding) may only end it, at most twice";
}
