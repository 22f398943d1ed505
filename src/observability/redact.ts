/**
 * The redactor: credentials out of everything vlrerank writes down (access log, error logs, warn
 * lines), wherever they appear (issue 13 found an admin token passed as `?token=` in the access
 * log). Covers query-string parameters that name a secret (token, api_key, apikey, access_token,
 * password, secret, key, signature… case-insensitive), userinfo in URLs (`https://user:pass@host`),
 * `Authorization`-style values (Bearer / Basic / ApiKey …) inside text, header-like keys of logged
 * objects (authorization, cookie, x-api-key, admin tokens), and long `data:` payloads (truncated:
 * a photo in a log line is noise at best, a leak at worst).
 *
 * Pure string work, no I/O. Never throws on odd input; never walks deeper than MAX_DEPTH.
 */

export const REDACTED = '[redacted]';

/** Parameter / key names that are secrets whole. */
const SECRET_NAMES = new Set(['key', 'sig', 'auth', 'authorization', 'cookie', 'set-cookie', 'session', 'sessionid', 'pwd', 'passwd', 'jwt', 'bearer', 'assertion']);
/** …and any name containing one of these. */
const SECRET_PARTS = ['token', 'secret', 'password', 'passphrase', 'signature', 'apikey', 'api_key', 'api-key', 'credential', 'private'];

/** Is a query parameter, header or object key named `name` a secret? */
export function isSecretName(name: string): boolean {
  const n = name.toLowerCase();
  if (SECRET_NAMES.has(n)) return true;
  for (const p of SECRET_PARTS) if (n.includes(p)) return true;
  return false;
}

const DATA_KEEP = 48;

/** A `data:` value cut to its media type and first characters, with its length. */
function truncateData(v: string): string {
  if (v.length <= DATA_KEEP + 16) return v;
  return `${v.slice(0, DATA_KEEP)}…[${v.length} chars]`;
}

const USERINFO = /\b([a-z][a-z0-9+.-]*:\/\/)[^/?#@\s"']*@/gi;

/** One query string (without `?`): secret values replaced, data: payloads truncated; the same string when nothing is. */
function redactQuery(q: string): string {
  let out = '';
  let changed = false;
  let pos = 0;
  while (pos <= q.length) {
    let amp = q.indexOf('&', pos);
    if (amp < 0) amp = q.length;
    let part = q.slice(pos, amp);
    const eq = part.indexOf('=');
    if (eq >= 0) {
      const rawName = part.slice(0, eq);
      let name = rawName;
      if (rawName.includes('%') || rawName.includes('+')) {
        try {
          name = decodeURIComponent(rawName.replace(/\+/g, ' '));
        } catch {
          // keep the raw spelling
        }
      }
      const value = part.slice(eq + 1);
      if (isSecretName(name)) {
        part = `${rawName}=${REDACTED}`;
        changed = true;
      } else if (value.length > DATA_KEEP + 16 && /^data(:|%3a)/i.test(value)) {
        part = `${rawName}=${truncateData(value)}`;
        changed = true;
      }
    }
    out += pos === 0 ? part : `&${part}`;
    pos = amp + 1;
  }
  return changed ? out : q;
}

/** A query string holding none of these can hold no secret parameter, data: payload or encoded name. */
const MAYBE_SECRET = /token|secret|password|passphrase|signature|api|key|sig|auth|cookie|session|pwd|passwd|credential|private|jwt|bearer|assertion|data:|%/i;

/** A request target or URL as it may be logged: no userinfo, no secret parameter values, short data: payloads. */
export function redactUrl(url: string): string {
  const q = url.indexOf('?');
  const at = url.indexOf('@');
  if (q < 0 && at < 0 && !url.includes('data:')) return url; // the common case, at no cost
  if (at < 0 && !MAYBE_SECRET.test(url)) return url; // no parameter can be a secret: one regex test, no parsing
  const base = (q < 0 ? url : url.slice(0, q)).replace(USERINFO, `$1${REDACTED}@`);
  return q < 0 ? (base.startsWith('data:') ? truncateData(base) : base) : `${base}?${redactQuery(url.slice(q + 1))}`;
}

const SECRET_PARAM_IN_TEXT = /((?:^|[?&;,\s("'])[^=&\s"'#?(]*?(?:token|secret|password|signature|apikey|api_key|api-key|credential|key|sig|auth|jwt|bearer|assertion)=)[^&\s"'#]*/gi;
const AUTH_SCHEME = /\b(Bearer|Basic|ApiKey|Digest|Token)\s+[A-Za-z0-9._~+/=-]{6,}/g;
const DATA_URI = /data:[a-z0-9.+/-]*(?:;[a-z0-9=.+-]+)*,[A-Za-z0-9+/=%_-]{64,}/gi;

/** Free text (an error message, a reason): URLs' userinfo and secret parameters, credentials after an auth scheme, long data: URIs. */
export function redactText(s: string): string {
  if (s.length === 0) return s;
  return s
    .replace(USERINFO, `$1${REDACTED}@`)
    .replace(SECRET_PARAM_IN_TEXT, `$1${REDACTED}`)
    .replace(AUTH_SCHEME, `$1 ${REDACTED}`)
    .replace(DATA_URI, (m) => truncateData(m));
}

const MAX_DEPTH = 8;

/** The error with its text redacted, of the same class (pino's serializer names the type from it). */
function redactError(e: Error, depth: number): Error {
  const out = Object.create(Object.getPrototypeOf(e) as object) as Error & Record<string, unknown>;
  out.message = redactText(e.message);
  if (e.stack) out.stack = redactText(e.stack);
  for (const [k, v] of Object.entries(e)) if (k !== 'message' && k !== 'stack' && k !== 'cause') out[k] = isSecretName(k) ? REDACTED : redactValue(v, depth + 1);
  if (e.cause !== undefined && depth < MAX_DEPTH) out.cause = redactValue(e.cause, depth + 1);
  return out;
}

function redactValue(v: unknown, depth: number): unknown {
  if (typeof v === 'string') return redactText(v);
  if (v === null || typeof v !== 'object') return v;
  if (depth >= MAX_DEPTH) return '[too deep]';
  if (v instanceof Error) return redactError(v, depth);
  if (Array.isArray(v)) return v.map((x) => redactValue(x, depth + 1));
  if (Buffer.isBuffer(v)) return `[${v.length} bytes]`;
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v as Record<string, unknown>)) out[k] = isSecretName(k) && x != null && x !== '' ? REDACTED : redactValue(x, depth + 1);
  return out;
}

/** A log object with every secret redacted (keys named as secrets, and secrets inside strings). */
export function redactObject(o: Record<string, unknown>): Record<string, unknown> {
  return redactValue(o, 0) as Record<string, unknown>;
}
