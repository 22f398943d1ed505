/**
 * Many tenants' pipelines in one folder (held-out probe round 18b: ~300 generated files, a catch-all
 * beside them): where patterns overlap, the most specific pattern chooses an index's pipeline,
 * whatever the files are named; the same pattern in two pipelines stops the load, naming both files;
 * a bad file among hundreds is named (and the load refused, as for one file).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { loadPipelines, PipelineRegistry } from '../../../src/pipelines/index.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** A folder of `n` tenant pipelines (`tenant-007.yaml` covers `logs-t7-*`) and the extra files given. */
function folder(n: number, extra: Record<string, string> = {}): string {
  const dir = mkdtempSync(join(tmpdir(), 'vlr-tenants-'));
  dirs.push(dir);
  for (let i = 0; i < n; i++) {
    const name = `tenant-${String(i).padStart(3, '0')}`;
    writeFileSync(join(dir, `${name}.yaml`), `name: ${name}\nindex_patterns: [logs-t${i}-*, logs-t${i}-alias]\nfields: {text: [title]}\nfeatures: {store: none}\n`);
  }
  for (const [file, text] of Object.entries(extra)) writeFileSync(join(dir, file), text);
  return dir;
}

const catchAll = (name: string, pattern = 'logs-*') => `name: ${name}\nindex_patterns: ["${pattern}"]\ndefault: true\nfields: {text: [title]}\nfeatures: {store: none}\n`;

it('gives each tenant index to its own pipeline beside a catch-all, whichever file sorts first', () => {
  for (const file of ['all-tenants.yaml', 'zz-all-tenants.yaml']) {
    const reg = new PipelineRegistry(loadPipelines(folder(300, { [file]: catchAll('all-tenants'), 'zz-t1-family.yaml': catchAll('t1-family', 'logs-t1*') })));
    expect(reg.pipelines).toHaveLength(302);
    expect(reg.forIndex('logs-t7-0')?.name).toBe('tenant-007');
    expect(reg.forIndex('logs-t7-alias')?.name).toBe('tenant-007');
    expect(reg.forIndex('logs-t7-*')?.name).toBe('tenant-007');
    expect(reg.forIndex('logs-t123-2')?.name).toBe('tenant-123');
    expect(reg.forIndex('logs-t1x')?.name).toBe('t1-family'); // logs-t1* is more specific than logs-*
    expect(reg.forIndex('logs-other')?.name).toBe('all-tenants');
    expect(reg.forIndex('logs-t7-0,logs-t7-1')?.name).toBe('tenant-007');
    expect(reg.forIndex('logs-t7-0,logs-t8-0')).toBeUndefined(); // two tenants' pipelines: none
    expect(reg.forIndices(['logs-t7-0', 'logs-t8-0']).each.map((e) => e.pipeline?.name)).toEqual(['tenant-007', 'tenant-008']);
    expect(reg.defaultFor('logs-t7-0')).toBeUndefined(); // the tenant's pipeline is not default; the catch-all's default does not reach it
    expect(reg.defaultFor('logs-other')?.name).toBe('all-tenants');
  }
});

it('an exact index name beats a pattern covering it', () => {
  const reg = new PipelineRegistry(loadPipelines(folder(3, { 'a-special.yaml': catchAll('special', 'logs-t1-0') })));
  expect(reg.forIndex('logs-t1-0')?.name).toBe('special');
  expect(reg.forIndex('logs-t1-1')?.name).toBe('tenant-001');
});

it('refuses the same pattern in two default pipelines, naming both files', () => {
  const dir = folder(300, { 'all-a.yaml': catchAll('all-a'), 'all-b.yaml': catchAll('all-b') });
  expect(() => loadPipelines(dir)).toThrow(/all-b\.yaml: index_patterns: "logs-\*" is already a pattern of default pipeline "all-a" \(.*all-a\.yaml\)/);
});

it('lets pipelines that are not default share a pattern (a client names the one it wants)', () => {
  const dir = folder(3, { 'all-a.yaml': catchAll('all-a'), 'all-b.yaml': catchAll('all-b').replace('default: true', 'default: false') });
  const reg = new PipelineRegistry(loadPipelines(dir));
  expect(reg.get('all-b')?.index_patterns).toEqual(['logs-*']);
  expect(reg.defaultFor('logs-other')?.name).toBe('all-a');
});

it('names the one bad file among 300', () => {
  const dir = folder(300, { 'tenant-150b.yaml': 'name: tenant-x\nindex_patterns: [logs-x-*\nfields: {text: [title]}\n' });
  expect(() => loadPipelines(dir)).toThrow(/tenant-150b\.yaml: \(top level\): not valid YAML/);
  try {
    loadPipelines(dir);
  } catch (e) {
    expect((e as Error).message.split('; ')).toHaveLength(1); // the 300 good files say nothing
  }
});
