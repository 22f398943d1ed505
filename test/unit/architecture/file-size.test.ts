/**
 * The house plan (ARCHITECTURE.md) bounds a source file at 500 lines: past it a module has become a
 * "god-object" holding several jobs, and is split along a real seam (a collaborator of its own, a
 * section per file) — as disk-tier.ts (→ disk-ledger.ts) and config/schema.ts (→ schema-*.ts) were
 * at 550 and 513. Lines are counted as `wc -l` does.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../../helpers/paths.js';

const MAX_LINES = 500;

function* tsFiles(dir: string): Generator<string> {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) yield* tsFiles(p);
    else if (name.endsWith('.ts')) yield p;
  }
}

/** Newlines in the text, as `wc -l` counts (a last line without one is not counted). */
const lineCount = (text: string): number => text.split('\n').length - 1;

describe('file size', () => {
  it(`no src/**/*.ts file is over ${MAX_LINES} lines`, () => {
    const files = [...tsFiles(join(REPO_ROOT, 'src'))];
    expect(files.length).toBeGreaterThan(100); // the walk found the tree
    const over = files
      .map((f) => ({ file: relative(REPO_ROOT, f), lines: lineCount(readFileSync(f, 'utf8')) }))
      .filter(({ lines }) => lines > MAX_LINES)
      .map(({ file, lines }) => `${file}: ${lines} lines (split it along a real seam; the bound is ${MAX_LINES})`);
    expect(over).toEqual([]);
  });

  it('counts lines as wc -l does', () => {
    expect(lineCount('')).toBe(0);
    expect(lineCount('a\nb\n')).toBe(2);
    expect(lineCount('a\nb')).toBe(1);
  });
});
