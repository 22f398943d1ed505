/**
 * The access logger's own line writer (observability/logger.ts) writes, byte for byte, the line
 * pino's `logger.info({ access }, 'access')` writes on the same logger — whatever the path holds
 * (quotes, backslashes, control characters, U+2028, a lone surrogate, non-ASCII) — and writes
 * nothing when the level drops info lines.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { createAccessLogger, msText, type AccessLine } from '../../../src/observability/logger.js';

const lines: AccessLine[] = [
  { method: 'GET', path: '/idx/_doc/1', status: 200, bytes: 123, ms: 0.42, route: 'proxy' },
  { method: 'POST', path: '/a"b\\c/_search?q=\u0001\n\t\u2028\ud800é漢', status: 404, bytes: 0, ms: 12.5, route: 'search' },
  { method: 'DELETE', path: '/', status: 502, bytes: 9999999, ms: 30001, route: 'admin' },
  { method: undefined, path: '/x', status: 400, bytes: 1, ms: 0, route: 'proxy' },
  // X-Opaque-Id and a rerank's outcome (task w3a), a request Node's parser refused
  { method: 'POST', path: '/i/_search', status: 200, bytes: 10, ms: 3, route: 'search', opaque_id: 'id "1"\n', rerank: { pipeline: 'p', degraded: 'VLR_OVERLOADED', reason: 'VLR_OVERLOADED: busy "x"', documents: 40, searches: 2 } },
  // the trace id and a reranked search's timings (held-out probe round 19a)
  { method: 'POST', path: '/i/_search', status: 200, bytes: 10, ms: 3, route: 'search', opaque_id: 'sre', trace_id: '4bf92f3577b34da6a3ce929d0e0e4736', rerank: { pipeline: 'p', degraded: false, documents: 3, timings: { first_stage_ms: 1.5, queue_ms: 0, features_ms: 2.25, inference_ms: 10, rerank_ms: 12.5, total_ms: 14.1 } } },
  { method: 'GET', path: '/_cat/tasks', status: 200, bytes: 10, ms: 3, route: 'proxy', trace_id: '4bf92f3577b34da6a3ce929d0e0e4736' },
  { method: 'POST', path: '/v1/rerank', status: 200, bytes: 10, ms: 3, route: 'rerank', rerank: { degraded: false, documents: 3, document_errors: 1 } },
  { method: 'M1X', path: '/x?token=[redacted]', status: 400, bytes: 0, ms: 0, route: 'unparsed', error: 'HPE_INVALID_METHOD' },
  // `ms` printed from integers and the method and peer address from a cache (perf15): every shape of
  // hundredths, a peer address (IPv4, IPv6 with a zone), the same values again
  ...[0.05, 0.1, 0.01, 1.1, 100.07, 7.9, 12345.67, 0.3, 2 / 3, 1e-7].map((ms, i) => ({ method: 'GET', path: '/i/_doc/1', status: 200, bytes: 5, ms, route: 'proxy', remote: i % 2 ? '127.0.0.1' : 'fe80::1%eth0' })),
];

function readLines(file: string): string[] {
  return readFileSync(file, 'utf8').split('\n').filter(Boolean);
}

/** The line without its time (the two writers run at different milliseconds). */
const untimed = (l: string) => l.replace(/"time":\d+,/, '"time":0,');

it('writes the line pino writes for the same access values', () => {
  const dir = mkdtempSync(join(tmpdir(), 'vlr-access-line-'));
  const fast = createAccessLogger('info', join(dir, 'fast.log'));
  const slow = createAccessLogger('info', join(dir, 'pino.log'));
  expect(fast.write).toBeTypeOf('function');
  for (const a of lines) {
    fast.write!(a);
    slow.logger.info({ access: a }, 'access');
  }
  fast.close();
  slow.close();
  const got = readLines(join(dir, 'fast.log'));
  const want = readLines(join(dir, 'pino.log'));
  expect(got).toHaveLength(lines.length);
  expect(got.map(untimed)).toEqual(want.map(untimed));
  for (const [i, l] of got.entries()) {
    const parsed = JSON.parse(l) as { access: Record<string, unknown>; time: number };
    expect(parsed.access).toEqual(Object.fromEntries(Object.entries(lines[i]!).filter(([, v]) => v !== undefined)));
    expect(parsed.time).toBeGreaterThan(Date.now() - 60_000);
  }
});

it('writes every line, in order, however many gather before a write', () => {
  const dir = mkdtempSync(join(tmpdir(), 'vlr-access-line-'));
  const fast = createAccessLogger('info', join(dir, 'many.log'));
  for (let i = 0; i < 1000; i++) fast.write!({ method: 'GET', path: `/idx/_doc/${i}`, status: 200, bytes: i, ms: 0.5, route: 'proxy' });
  expect(readLines(join(dir, 'many.log')).length).toBeGreaterThan(900); // written as they gather, not all held until close
  fast.close();
  const got = readLines(join(dir, 'many.log')).map((l) => (JSON.parse(l) as { access: { bytes: number } }).access.bytes);
  expect(got).toEqual([...Array(1000).keys()]);
});

it('has no line writer when the level drops info lines', () => {
  const dir = mkdtempSync(join(tmpdir(), 'vlr-access-line-'));
  const warn = createAccessLogger('warn', join(dir, 'warn.log'));
  expect(warn.write).toBeUndefined();
  warn.close();
});

it('prints a line\'s ms as `${ms}` does, from integers', () => {
  // the tracker's hundredths (Math.round(ms * 100) / 100), across magnitudes, and any other number
  const wrong: number[] = [];
  for (let n = 0; n < 2_000_000; n++) if (msText(n / 100) !== `${n / 100}`) wrong.push(n / 100);
  expect(wrong).toEqual([]);
  for (const ms of [0, -0, 0.005, 1 / 3, 30001, 1e15, 1e21, -1.5, Number.NaN, Number.POSITIVE_INFINITY]) expect(msText(ms)).toBe(`${ms}`);
});
