/** The YAML file: unreadable, not YAML, or not a mapping at the top level each stop the start with their own message. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';

const dir = mkdtempSync(join(tmpdir(), 'vlr-cfg-file-'));
function file(name: string, text: string): string {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
}
function messageOf(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    return (e as Error).message;
  }
  throw new Error('expected an error');
}

describe('config: YAML file', () => {
  it('YAML that is not a mapping', () => {
    const p = file('list.yaml', '- server\n- upstream\n');
    expect(messageOf(() => loadConfig({ file: p }))).toBe(`config file ${p} must hold a mapping at the top level`);
    const s = file('scalar.yaml', 'just a string\n');
    expect(messageOf(() => loadConfig({ file: s }))).toBe(`config file ${s} must hold a mapping at the top level`);
  });

  it('text that is not valid YAML', () => {
    const p = file('broken.yaml', 'server:\n  port: [9200\n');
    expect(messageOf(() => loadConfig({ file: p }))).toMatch(new RegExp(`^config file ${p} is not valid YAML: `));
  });

  it('a file that cannot be read', () => {
    const p = join(dir, 'missing.yaml');
    expect(messageOf(() => loadConfig({ file: p }))).toMatch(new RegExp(`^cannot read config file ${p}: .*ENOENT`));
  });

  it('validation messages name the file as the source', () => {
    const p = file('bad.yaml', 'server:\n  port: 70000\n');
    expect(messageOf(() => loadConfig({ file: p }))).toContain(`invalid configuration (${p})`);
  });

  it('each problem names where its value came from: the line in the file, or the variable or flag that set it', () => {
    const p = file('where.yaml', 'server:\n  host: 127.0.0.1\n  prot: 5\nupstream:\n  urls:\n    - http://127.0.0.1:9200\n    - ftp://x\n  headersTimeoutMs: -5\nlog:\n  level: info\n');
    const m = messageOf(() => loadConfig({ file: p }));
    expect(m).toContain('server: unknown key "prot" (where.yaml line 3)');
    expect(m).toContain('upstream.urls[1]: must be an http:// or https:// URL (where.yaml line 7)');
    expect(m).toMatch(/upstream\.headersTimeoutMs: .* \(where\.yaml line 8\)/);
    // a bad value from the environment is the variable's, not the file's line for the same key
    const e = messageOf(() => loadConfig({ file: file('ok.yaml', 'log:\n  level: info\n'), env: { VLRERANK_LOG_LEVEL: 'loud' } }));
    expect(e).toMatch(/log\.level: .* \(VLRERANK_LOG_LEVEL\)$/m);
    const f = messageOf(() => loadConfig({ file: file('ok2.yaml', 'server:\n  port: 9280\n'), flags: { 'server.port': 70000 } }));
    expect(f).toMatch(/server\.port: .* \(--server\.port\)$/m);
  });

  it('an empty file gives the defaults', () => {
    const c = loadConfig({ file: file('empty.yaml', '') });
    expect(c.server.port).toBe(9280);
    expect(c.upstream.urls).toEqual(['http://127.0.0.1:9200']);
  });
});
