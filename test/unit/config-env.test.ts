/**
 * VLRERANK_* environment variables override the file and CLI flags override both; a bad
 * environment value names the variable and the rule.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';

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
});
