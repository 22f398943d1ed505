/**
 * VLRERANK_* environment variables override the file and CLI flags override both; a bad
 * environment value names the variable and the rule.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig, unknownEnvVars } from '../../src/config/load.js';

function messageOf(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    return (e as Error).message;
  }
  throw new Error('expected an error');
}

describe('config: environment and flags', () => {
  it('bad integer in an environment variable names the variable', () => {
    expect(messageOf(() => loadConfig({ env: { VLRERANK_PORT: 'abc' } }))).toBe('VLRERANK_PORT must be an integer, got "abc"');
    expect(messageOf(() => loadConfig({ env: { VLRERANK_UPSTREAM_TIMEOUT_MS: '1.5' } }))).toBe('VLRERANK_UPSTREAM_TIMEOUT_MS must be an integer, got "1.5"');
  });

  it('integers are decimal digits: hex, binary and exponent forms are refused, not read as other numbers (held-out probe round 7)', () => {
    for (const v of ['0x50', '0b11', '1e3', '1_000', '80px', '']) {
      if (v === '') expect(loadConfig({ env: { VLRERANK_PORT: v } }).server.port).toBe(9280); // empty: unset
      else expect(messageOf(() => loadConfig({ env: { VLRERANK_PORT: v } }))).toBe(`VLRERANK_PORT must be an integer, got "${v}"`);
    }
    expect(loadConfig({ env: { VLRERANK_PORT: ' 8080 ' } }).server.port).toBe(8080);
    expect(loadConfig({ env: { VLRERANK_CACHE_MAX_BYTES: '+1048576' } }).cache.maxBytes).toBe(1048576);
  });

  it('a file section that is not a mapping is named, not replaced by an override of a key inside it (held-out probe round 7)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'vlr-cfg-'));
    const file = join(dir, 'c.yaml');
    writeFileSync(file, 'server: "oops"\nstore: [1]\n');
    const m = messageOf(() => loadConfig({ file, env: { VLRERANK_PORT: '9300', VLRERANK_REDIS_URL: 'redis://127.0.0.1:6379' } }));
    expect(m).toContain('server: Invalid input: expected object, received string');
    expect(m).toContain('store: Invalid input: expected object, received array');
    expect(messageOf(() => loadConfig({ file, flags: { 'server.port': 9300 } }))).toContain('server: Invalid input: expected object, received string');
    // an empty section (every key commented out) with an override inside it: the override applies
    writeFileSync(file, 'server:\n  # port: 1\n');
    expect(loadConfig({ file, env: { VLRERANK_PORT: '9300' } }).server.port).toBe(9300);
  });

  it('an env value that parses but breaks a rule names the env source and the key', () => {
    const m = messageOf(() => loadConfig({ env: { VLRERANK_PORT: '99999' } }));
    expect(m).toContain('VLRERANK_PORT');
    expect(m).toMatch(/server\.port: .*65535/);
  });

  it('VLRERANK_UPSTREAM takes one or more comma-separated URLs', () => {
    const c = loadConfig({ env: { VLRERANK_UPSTREAM: ' http://a:9200 , https://b:9243,' } });
    expect(c.upstream.urls).toEqual(['http://a:9200', 'https://b:9243']);
    expect(messageOf(() => loadConfig({ env: { VLRERANK_UPSTREAM: 'http://a:9200,gopher://b' } }))).toContain('upstream.urls[1]: must be an http:// or https:// URL');
  });

  it('file < environment < flags', () => {
    const dir = mkdtempSync(join(tmpdir(), 'vlr-cfg-'));
    const file = join(dir, 'c.yaml');
    writeFileSync(file, 'server:\n  port: 9001\n  host: 0.0.0.0\nupstream:\n  urls: [http://file:9200]\n');
    const fromFile = loadConfig({ file });
    expect([fromFile.server.port, fromFile.server.host, fromFile.upstream.urls]).toEqual([9001, '0.0.0.0', ['http://file:9200']]);
    const withEnv = loadConfig({ env: { VLRERANK_CONFIG: file, VLRERANK_PORT: '9002', VLRERANK_UPSTREAM: 'http://env:9200' } });
    expect([withEnv.server.port, withEnv.server.host, withEnv.upstream.urls]).toEqual([9002, '0.0.0.0', ['http://env:9200']]);
    const withFlags = loadConfig({ file, env: { VLRERANK_PORT: '9002' }, flags: { 'server.port': 9003 } });
    expect(withFlags.server.port).toBe(9003);
  });

  it('empty environment values are ignored', () => {
    expect(loadConfig({ env: { VLRERANK_PORT: '' } }).server.port).toBe(9280);
  });

  it('a pod configured by its environment alone: drain, grace, cache folder and threads have variables, a misspelt one is named (held-out probe round 14b)', () => {
    const c = loadConfig({ env: { VLRERANK_DRAIN_DELAY_MS: '5000', VLRERANK_SHUTDOWN_GRACE_MS: '25000', VLRERANK_CACHE_DIR: '/scratch/vlrerank', VLRERANK_INTRA_OP_THREADS: '1' } });
    expect([c.server.drainDelayMs, c.server.shutdownGraceMs, c.rerank.cacheDir, c.models.intraOpThreads]).toEqual([5000, 25000, '/scratch/vlrerank', 1]);
    expect(unknownEnvVars({ VLRERANK_STORE_PATH: '/x', VLRERANK_PROT: '80', VLRERANK_PORT: '80', VLRERANK_CONFIG: 'c.yaml', VLRERANK_KEEP_ENGINES: '1', VLRERANK_WHATEVER_ELSE_AT_ALL: '1', HOME: '/' })).toEqual([
      { name: 'VLRERANK_PROT', didYouMean: 'VLRERANK_PORT' },
      { name: 'VLRERANK_STORE_PATH', didYouMean: 'VLRERANK_STORE_DISK_PATH' },
      { name: 'VLRERANK_WHATEVER_ELSE_AT_ALL', didYouMean: undefined },
    ]);
  });
});
