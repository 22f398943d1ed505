/**
 * Structured JSON logs (pino). Secrets never reach a log line: authorization, API keys, cookies
 * and passwords are redacted wherever they appear in the logged object (headers, config).
 */
import { pino, type Logger } from 'pino';

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
];

export function createLogger(level = 'info', destination?: NodeJS.WritableStream): Logger {
  const opts = { level, base: { service: 'vlrerank' }, redact: { paths: REDACT_PATHS, censor: '[redacted]' } };
  return destination ? pino(opts, destination as pino.DestinationStream) : pino(opts);
}

/** A logger that writes nothing, for library use and tests that do not look at logs. */
export const silentLogger: Logger = pino({ level: 'silent' });
