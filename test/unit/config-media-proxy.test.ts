/**
 * The egress proxy for media (fix19c): `media.proxy` / `media.noProxy`, else the proxy variables
 * every HTTP tool reads — lower case first, an https proxy falling back to the http one as undici's
 * EnvHttpProxyAgent does — and its credentials never shown by `vlrerank config`; a bad NO_PROXY
 * CIDR is a configuration error naming it. Held-out probe round 14d found the variables read nowhere.
 */
import { describe, expect, it } from 'vitest';
import { loadConfig, redactConfig } from '../../src/config/load.js';
import { MediaSource } from '../../src/features/media/source.js';

describe('config: the egress proxy for media', () => {
  it('reads HTTPS_PROXY / HTTP_PROXY / NO_PROXY when media.proxy is unset, lower case first', () => {
    const c = loadConfig({ env: { HTTPS_PROXY: 'http://upper:3128', https_proxy: 'http://u:p4ss@lower:3128', HTTP_PROXY: 'http://plain:3128', NO_PROXY: 'a.example, .corp 10.0.0.0/8' } });
    expect(c.media.proxy).toEqual({ http: 'http://plain:3128', https: 'http://u:p4ss@lower:3128' });
    expect(c.media.noProxy).toEqual(['a.example', '.corp', '10.0.0.0/8']);
    expect(loadConfig({ env: {} }).media.proxy).toBeUndefined();
  });

  it('media.proxy (file, VLRERANK_MEDIA_PROXY or a flag) wins over the standard variables', () => {
    const env = { HTTPS_PROXY: 'http://env:3128', no_proxy: 'x.example' };
    expect(loadConfig({ env: { ...env, VLRERANK_MEDIA_PROXY: 'http://mine:8080' } }).media.proxy).toBe('http://mine:8080');
    const c = loadConfig({ env, flags: { 'media.proxy': 'http://flag:8080', 'media.noProxy': ['y.example'] } });
    expect(c.media.proxy).toBe('http://flag:8080');
    expect(c.media.noProxy).toEqual(['y.example']);
  });

  it('a proxy that is no http(s) URL is refused naming the variable that set it', () => {
    expect(() => loadConfig({ env: { HTTPS_PROXY: 'proxy.corp:3128' } })).toThrow(/media\.proxy.*HTTPS_PROXY/s);
  });

  it('`vlrerank config` shows the proxy without its credentials', () => {
    for (const env of [{ VLRERANK_MEDIA_PROXY: 'http://alice:pr0xy-pass@proxy:3128' }, { HTTPS_PROXY: 'http://alice:pr0xy-pass@proxy:3128', HTTP_PROXY: 'http://bob:pr0xy-pass@proxy:3128' }]) {
      const shown = JSON.stringify(redactConfig(loadConfig({ env })));
      expect(shown).not.toContain('pr0xy-pass');
      expect(shown).toContain('http://[redacted]@proxy:3128');
    }
  });

  it('a NO_PROXY CIDR that is not one is a configuration error naming it', () => {
    expect(() => new MediaSource({ roots: [], allowHosts: [], maxBytes: 1, fetchTimeoutMs: 1, maxRedirects: 0, proxy: 'http://p:3128', noProxy: ['10.0.0.0/99'] })).toThrow(/NO_PROXY: "10\.0\.0\.0\/99" is not a valid CIDR/);
  });
});
