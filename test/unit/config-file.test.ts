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

  it('an empty file gives the defaults', () => {
    const c = loadConfig({ file: file('empty.yaml', '') });
    expect(c.server.port).toBe(9280);
    expect(c.upstream.urls).toEqual(['http://127.0.0.1:9200']);
  });
});
