/**
 * vlrerank as a developer installs it (held-out probe round 11b): `npm pack` of this checkout (its
 * `prepack` builds dist/), the tarball unpacked into a fresh project whose node_modules links the
 * dependencies already installed here (offline: the registry is not asked), then the package used
 * as the README says. Before: the tarball held the tests, benchmarks, sources and test artifacts
 * (1,298 files, 2 MB), `require('vlrerank')` failed with ERR_PACKAGE_PATH_NOT_EXPORTED ("No exports
 * main defined"), and the README's library example, run verbatim, scored its photo 0 ("media file
 * media/dog.jpg does not exist under the media roots": a relative path is looked up in each root).
 */
import { execFile } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DATA, REPO_ROOT, SHARED } from '../helpers/paths.js';

const run = promisify(execFile);
const root = mkdtempSync(join(tmpdir(), 'vlr-package-'));
// the README's example names '../shared/models': the consumer project sits beside a `shared` folder
const app = join(root, 'app');
const env = { ...Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('VLRERANK_'))), VLRERANK_LOG_LEVEL: 'silent' };
let files: string[] = [];

/** Run `node args` in the consumer project. */
const node = (args: string[]) => run(process.execPath, args, { cwd: app, env, timeout: 120_000 });

beforeAll(async () => {
  const { stdout } = await run('npm', ['pack', '--json', '--pack-destination', root], { cwd: REPO_ROOT, env, timeout: 240_000, maxBuffer: 64 << 20 });
  const [packed] = JSON.parse(stdout) as Array<{ filename: string; files: Array<{ path: string }> }>;
  files = packed!.files.map((f) => f.path);
  mkdirSync(join(app, 'node_modules', 'vlrerank'), { recursive: true });
  mkdirSync(join(app, 'node_modules', '.bin'));
  mkdirSync(join(app, 'media'));
  symlinkSync(SHARED, join(root, 'shared'));
  await run('tar', ['xzf', join(root, packed!.filename), '-C', join(app, 'node_modules', 'vlrerank'), '--strip-components=1']);
  // the dependencies, as npm would have installed them (the ones of this checkout), and the bin link npm makes
  for (const dep of readdirSync(join(REPO_ROOT, 'node_modules'))) if (dep !== '.bin' && dep !== 'vlrerank') symlinkSync(join(REPO_ROOT, 'node_modules', dep), join(app, 'node_modules', dep));
  chmodSync(join(app, 'node_modules', 'vlrerank', 'dist', 'cli', 'main.js'), 0o755);
  symlinkSync('../vlrerank/dist/cli/main.js', join(app, 'node_modules', '.bin', 'vlrerank'));
  writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'consumer', version: '1.0.0', type: 'module' }));
  copyFileSync(join(DATA, 'coco-captions-mini/images/val2017/000000022192.jpg'), join(app, 'media', 'dog.jpg'));
}, 300_000);
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('the npm package', { timeout: 300_000 }, () => {
  it('holds what runs, not the tests, benchmarks, sources or source maps', () => {
    expect(files).toContain('dist/index.js');
    expect(files).toContain('dist/index.d.ts');
    expect(files).toContain('dist/cli/main.js');
    expect(files).toContain('models/calibration/signals.json');
    expect(files).toContain('models/bge-small-en-v1.5.yaml');
    // examples/ import ../../src (a checkout's layout): not shipped, the README points to them in the repository
    expect(files.filter((f) => /^(test|src|scripts|docs|examples|\.engines|node_modules)\//.test(f) || f.endsWith('.map'))).toEqual([]);
  });

  it('imports only its dependencies (a devDependency is not installed for its users)', () => {
    const pkg = JSON.parse(readFileSync(join(app, 'node_modules', 'vlrerank', 'package.json'), 'utf8')) as { dependencies: Record<string, string> };
    const imported = new Set<string>();
    const walk = (dir: string): void => {
      for (const e of readdirSync(dir, { withFileTypes: true })) {
        const p = join(dir, e.name);
        if (e.isDirectory()) walk(p);
        else if (e.name.endsWith('.js')) {
          // static imports and re-exports (at a line's start, as tsc writes them) and import('…') calls
          const re = /^(?:import|export)\b[^;'"]*?from\s*['"]([^'"]+)['"]|^import\s*['"]([^'"]+)['"]|\bimport\(\s*['"]([^'"]+)['"]\s*\)/gm;
          for (const m of readFileSync(p, 'utf8').matchAll(re)) {
            const spec = (m[1] ?? m[2] ?? m[3])!;
            if (!spec.startsWith('.') && !spec.startsWith('node:')) imported.add(spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0]!);
          }
        }
      }
    };
    walk(join(app, 'node_modules', 'vlrerank', 'dist'));
    expect(imported.size).toBeGreaterThan(5);
    expect([...imported].filter((n) => !Object.hasOwn(pkg.dependencies, n))).toEqual([]);
  });

  it('import and require both give the library; the bin runs', async () => {
    const esm = await node(['--input-type=module', '-e', "const m = await import('vlrerank'); console.log(typeof m.Reranker, typeof m.VlrerankError)"]);
    expect(esm.stdout).toBe('function function\n');
    const cjs = await node(['--input-type=commonjs', '-e', "const m = require('vlrerank'); console.log(typeof m.Reranker, typeof m.VlrerankError)"]);
    expect(cjs.stdout).toBe('function function\n');
    const bin = await run(join(app, 'node_modules', '.bin', 'vlrerank'), ['--version'], { cwd: app, env });
    expect(bin.stdout).toBe(`${(JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string }).version}\n`);
  });

  it('the types check under --strict with node16 and bundler resolution', async () => {
    writeFileSync(
      join(app, 'use.ts'),
      [
        "import { Reranker, VlrerankError, type DocumentInput, type ErrorCode, type RerankerOptions, type RerankInput, type RerankOutput } from 'vlrerank';",
        "const options: RerankerOptions = { modelsDir: '../shared/models', mediaRoots: ['./media'] };",
        "const docs: DocumentInput[] = [{ text: 'a cat' }, { image: 'dog.jpg' }];",
        "const input: RerankInput = { query: { text: 'a dog' }, documents: docs, top_n: 1 };",
        'const r = new Reranker(options);',
        'const out: RerankOutput = await r.process(input, { signal: AbortSignal.timeout(60_000) });',
        'const score: number | undefined = out[0]?.score;',
        'try { await r.process({ query: { text: "" }, documents: [] }); } catch (e) { if (e instanceof VlrerankError) { const c: ErrorCode = e.code; console.log(c, e.status, score); } }',
        'await r.close();',
        '// @ts-expect-error a misspelt field is a compile error, not only a 400 at run time',
        "void r.process({ querry: 'a dog', documents: ['x'] });",
        '',
      ].join('\n'),
    );
    const tsc = join(REPO_ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
    for (const [module, resolution] of [['node16', 'node16'], ['esnext', 'bundler']]) {
      const r = await node([tsc, '--strict', '--noEmit', '--target', 'es2022', '--module', module!, '--moduleResolution', resolution!, '--types', 'node', '--typeRoots', join(REPO_ROOT, 'node_modules', '@types'), 'use.ts']).then(
        () => '',
        (e: { stdout: string }) => e.stdout,
      );
      expect(r, `${module}/${resolution}`).toBe('');
    }
  });

  it("the README's library example, run verbatim, ranks the photo", async () => {
    const readme = readFileSync(join(REPO_ROOT, 'README.md'), 'utf8');
    const example = /As a library[^\n]*\n(?:[^\n]*\n)*?```ts\n([\s\S]*?)```/.exec(readme)?.[1];
    expect(example).toContain("from 'vlrerank'");
    writeFileSync(join(app, 'readme.mjs'), example!);
    const { stdout } = await node(['readme.mjs']);
    // the photo of a dog was read (no errors) and ranks above the pasta
    expect(stdout).toMatch(/^\[ '1 0\.\d+', '0 0\.\d+' \] \[\]\n$/);
  });
});
