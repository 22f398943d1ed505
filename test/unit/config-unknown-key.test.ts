/** Unknown keys stop the start, at any depth, naming the key and where it sits. */
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';

function message(input: unknown): string {
  try {
    parseConfig(input, 'test.yaml');
  } catch (e) {
    return (e as Error).message;
  }
  throw new Error('expected a validation error');
}

describe('config: unknown keys', () => {
  it('names an unknown top-level key', () => {
    expect(message({ upstreams: { urls: ['http://x:9200'] } })).toContain('(root): unknown key "upstreams"');
  });

  it('names an unknown key inside a section', () => {
    expect(message({ server: { prot: 9200 } })).toContain('server: unknown key "prot"');
  });

  it('names an unknown key in a nested section', () => {
    expect(message({ upstream: { tls: { cafile: '/ca.pem' } } })).toContain('upstream.tls: unknown key "cafile"');
  });

  it('lists several unknown keys together and says which source', () => {
    const m = message({ log: { lvl: 'info', acess: true } });
    expect(m).toContain('invalid configuration (test.yaml)');
    expect(m).toContain('log: unknown keys "lvl", "acess"');
  });
});
