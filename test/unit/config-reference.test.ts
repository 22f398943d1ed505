// The generated configuration reference covers every setting of the schema and every
// environment variable, with the defaults the schema really applies.
import { describe, it, expect } from 'vitest';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { configReference, readmeWithReference, schemaComments } from '../../scripts/config-reference.js';
import { ENV_VARS } from '../../src/config/load.js';
import { parseConfig } from '../../src/config/load.js';

function leaves(o: unknown, prefix = ''): string[] {
  if (o && typeof o === 'object' && !Array.isArray(o)) return Object.entries(o).flatMap(([k, v]) => leaves(v, prefix ? `${prefix}.${k}` : k));
  return [prefix];
}

describe('config reference', () => {
  const md = configReference();
  it('has a row for every default setting and every environment variable', () => {
    for (const key of leaves(parseConfig({}))) expect(md, key).toContain(`| \`${key}\` |`);
    for (const [name, { path }] of Object.entries(ENV_VARS)) expect(md).toMatch(new RegExp(`\\| \`${path.replace(/\./g, '\\.')}\` \\|[^\\n]*\`${name}\``));
  });
  it('shows the schema defaults and the comments written above the keys', () => {
    expect(md).toMatch(/\| `server\.port` \| integer \(≥ 0, ≤ 65535\) \| `9280` \| `VLRERANK_PORT` \|/);
    expect(schemaComments().get('server.ui')).toBe('Serve the demo UI under /_vlrerank/ui/.');
    expect(md).toMatch(/`server\.adminToken`.*secret/);
  });
  it('is the one printed in README.md (regenerate with npx tsx scripts/config-reference.ts --readme)', () => {
    const readme = readFileSync(resolve(import.meta.dirname, '../../README.md'), 'utf8');
    expect(readmeWithReference(readme, md)).toBe(readme);
  });
});
