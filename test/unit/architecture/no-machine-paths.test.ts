/**
 * Code and tests find the shared data and models relative to the clone (`test/helpers/paths.ts`),
 * never by this machine's absolute path under /work: CI clones the repository somewhere else, where
 * such a path does not exist — two rollover tests that named the shared folder absolutely passed here and failed
 * every image in CI (stop 34).
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../../helpers/paths.js';

const SOURCES = /\.(ts|mts|mjs|js|json|ya?ml|sh)$/;

function* files(dir: string): Generator<string> {
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules' || name.startsWith('.')) continue;
    const p = join(dir, name);
    if (statSync(p).isDirectory()) yield* files(p);
    else if (SOURCES.test(name)) yield p;
  }
}

describe('no absolute machine paths', () => {
  it('no string in src/, test/, scripts/, pipelines/ or .ci/ starts with /work/', () => {
    const quoted = /['"`]\/work\//;
    const found: string[] = [];
    for (const top of ['src', 'test', 'scripts', 'pipelines', '.ci']) {
      let root: string;
      try { root = join(REPO_ROOT, top); statSync(root); } catch { continue; }
      for (const f of top === '.ci' ? [...readdirSync(root)].map((n) => join(root, n)) : files(root)) {
        if (statSync(f).isDirectory()) continue;
        readFileSync(f, 'utf8').split('\n').forEach((line, i) => { if (quoted.test(line)) found.push(`${relative(REPO_ROOT, f)}:${i + 1}`); });
      }
    }
    expect(found).toEqual([]);
  });
});
