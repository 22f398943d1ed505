/**
 * The one place where failures of getting media bytes (undici, DNS, byte limits) become
 * VlrerankErrors (VLR_MEDIA_TIMEOUT / _FETCH / _TOO_LARGE), and where URLs are redacted before
 * they reach a message: signed URLs carry credentials in their query strings.
 * Never fetches or reads anything itself.
 */
import { isVlrerankError, vlrError, type VlrerankError } from '../../errors.js';

export function translateFetchError(e: unknown, url: string, timedOut: boolean): VlrerankError {
  if (isVlrerankError(e)) return e;
  const cause = (e as { cause?: unknown })?.cause;
  if (isVlrerankError(cause)) return cause;
  const code = (e as { code?: string })?.code ?? (cause as { code?: string })?.code;
  const msg = e instanceof Error ? e.message : String(e);
  if (timedOut || code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT' || code === 'UND_ERR_CONNECT_TIMEOUT') {
    return vlrError('VLR_MEDIA_TIMEOUT', `fetching ${redactUrl(url)} timed out`, { cause: e });
  }
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return vlrError('VLR_MEDIA_FETCH', `cannot resolve the host of ${redactUrl(url)}`, { cause: e });
  return vlrError('VLR_MEDIA_FETCH', `fetching ${redactUrl(url)} failed: ${code ?? msg}`, { cause: e });
}

/** URLs in error messages without credentials or query strings (signed URLs carry secrets there). */
export function redactUrl(u: string): string {
  try {
    const url = new URL(u);
    url.username = '';
    url.password = '';
    const q = url.search ? '?…' : '';
    url.search = '';
    return url.toString() + q;
  } catch {
    return u.length > 100 ? `${u.slice(0, 100)}…` : u;
  }
}

/** Over a byte limit (`what` is a URL, a path or a kind of inline media; URLs are redacted). */
export function tooLarge(what: string, max: number, got?: number): VlrerankError {
  return vlrError('VLR_MEDIA_TOO_LARGE', `media ${redactUrl(what)} is ${got !== undefined ? `${got} bytes, ` : ''}over the limit of ${max} bytes`, {
    details: { max_bytes: max },
  });
}
