/**
 * Structured JSON logs (pino). Secrets never reach a log line: authorization, API keys, cookies
 * and passwords are redacted wherever they appear in the logged object (headers, config) — by
 * key (pino's redact paths, and any key named as a secret) and inside text (error messages and
 * reasons carrying a URL with userinfo or a `?token=`, a Bearer value, a data: payload): redact.ts.
 */
import { pino, type Logger } from 'pino';
import { redactObject } from './redact.js';

export type { Logger };

export const REDACT_PATHS = [
  'authorization',
  'cookie',
  'password',
  'apiKey',
  'api_key',
  'adminToken',
  '*.authorization',
  '*.cookie',
  '*["set-cookie"]',
  '*["x-api-key"]',
  '*["api-key"]',
  '*.password',
  '*.apiKey',
  '*.adminToken',
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-api-key"]',
  'req.headers["x-vlrerank-admin-token"]',
  'headers.authorization',
  'headers.cookie',
  'req.headers["proxy-authorization"]',
  'headers["proxy-authorization"]',
  'headers["x-api-key"]',
  'headers["x-vlrerank-admin-token"]',
];

export function createLogger(level = 'info', destination?: NodeJS.WritableStream): Logger {
  const opts = { level, base: { service: 'vlrerank' }, redact: { paths: REDACT_PATHS, censor: '[redacted]' }, formatters: { log: redactObject } };
  return destination ? pino(opts, destination as pino.DestinationStream) : pino(opts);
}

/**
 * The access log (one line per request): its own stdout writer that gathers lines and writes them
 * when 4 KB have gathered or a second has passed, instead of one write(2) per request — that
 * write was a tenth of a proxied request's CPU. Lines carry no headers (method, path, status, bytes,
 * time) and their path is redacted where it is made (http/access-log.ts, redactUrl), so no
 * redaction pass here. `close()` writes what is pending; so does process exit.
 */
export function createAccessLogger(level = 'info'): { logger: Logger; close(): void } {
  const dest = pino.destination({ dest: 1, sync: true, minLength: 4096 });
  const flush = () => {
    try {
      dest.flushSync();
    } catch {
      // nothing pending, or stdout is gone: nothing to do
    }
  };
  const timer = setInterval(flush, 1000);
  timer.unref();
  pendingAccessLogs.add(flush);
  return {
    logger: pino({ level, base: { service: 'vlrerank' } }, dest),
    close() {
      clearInterval(timer);
      flush();
      pendingAccessLogs.delete(flush);
    },
  };
}

const pendingAccessLogs = new Set<() => void>();
process.once('exit', () => {
  for (const flush of pendingAccessLogs) flush();
});

/** A logger that writes nothing, for library use and tests that do not look at logs. */
export const silentLogger: Logger = pino({ level: 'silent' });
