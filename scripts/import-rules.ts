/**
 * The house import rules (ARCHITECTURE.md), checked over a tree that has a `src/` folder:
 *  - the rules in .dependency-cruiser.cjs (dependency-cruiser, every import including `import type`);
 *  - no-room-cycle: no cycle between rooms (a room is a top-level folder or file of src/), which
 *    module-level cycle detection cannot see (a → b and c → d between the same two rooms);
 *  - process-env-only-in-config-and-cli: nothing outside src/config/ and src/cli/ reads process.env;
 *  - rooms-match-the-plan: every room the rules name exists in src/, and every folder of src/ is a
 *    room the rules name (so a renamed folder cannot silently fall out of every rule);
 *  - cli-start-loads-no-command-code: what src/cli/main.ts loads before it reads its arguments —
 *    a reachability over static imports only, which dependency-cruiser's `reachable` cannot express
 *    (it follows `import()` as well, the very thing that keeps a command's code out of the start).
 *
 * Used by test/unit/architecture/import-rules.test.ts and, as `npm run lint:imports`, by people:
 *   tsx scripts/import-rules.ts [root]     prints the violations, exits 1 when there are any
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { cruise, type ICruiseOptions, type ICruiseResult, type IViolation } from 'dependency-cruiser';
import extractDepcruiseOptions from 'dependency-cruiser/config-utl/extract-depcruise-options';
import extractTSConfig from 'dependency-cruiser/config-utl/extract-ts-config';
import ts from 'typescript';

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const CONFIG_FILE = join(REPO_ROOT, '.dependency-cruiser.cjs');
const TSCONFIG_FILE = join(REPO_ROOT, 'tsconfig.json');

export const NO_ROOM_CYCLE = 'no-room-cycle';
export const PROCESS_ENV = 'process-env-only-in-config-and-cli';
export const ROOMS_MATCH = 'rooms-match-the-plan';
export const CLI_START = 'cli-start-loads-no-command-code';

/** Rules checked here rather than by dependency-cruiser, with the reason (shown with violations). */
export const EXTRA_RULES: Record<string, string> = {
  [NO_ROOM_CYCLE]:
    'No import cycle between rooms: data flows one way, so two rooms never import each other, ' +
    'directly or through other rooms. Every import between two rooms of one cycle is listed (one ' +
    'example per pair of rooms, with the count of the others); the upward ones are to go.',
  [PROCESS_ENV]:
    'Configuration is read once (config/) and passed down: nothing reads process.env on its own, ' +
    'except config/ and the cli/ entry that hands it to config/.',
  [ROOMS_MATCH]:
    'The rules name the rooms of ARCHITECTURE.md: a room they name must exist in src/ and a folder ' +
    'of src/ must be a room they name, or a rule silently checks nothing. Change both together.',
  [CLI_START]:
    'src/cli/main.ts runs at every start of vlrerank (--version, --help, a usage mistake) and loads ' +
    'what it imports before it reads its arguments: cli/ (the command definitions), errors.ts, util/, ' +
    'commander and engine/refusals.ts (the --max-refusals default). A command\'s code is loaded by its ' +
    'action with import() (cli/commands.ts); the listed import is the one to make lazy. Loading every ' +
    'command first cost each start ~1.7 s of CPU (cli28). Type-only imports are erased: they do not count.',
};

/** What src/cli/main.ts may load, statically, before it reads its arguments (CLI_START). */
const CLI_ENTRY = 'src/cli/main.ts';
const CLI_START_LOADS = [/^src\/cli\//, /^src\/errors\.ts$/, /^src\/util\//, /^src\/engine\/refusals\.ts$/, /(^|\/)node_modules\/commander\//];
/** Imports that load nothing when the importing module loads: `import()` runs later, type imports are erased. */
const NOT_LOADED_AT_IMPORT = new Set(['dynamic-import', 'type-only', 'type-import', 'pre-compilation-only']);

export interface Violation {
  rule: string;
  from: string;
  to: string;
  /** e.g. the whole cycle, or the line of a process.env read */
  detail?: string;
}

export interface ImportRulesReport {
  violations: Violation[];
  /** rule name → why, for every rule checked */
  comments: Record<string, string>;
  /** modules of src/ that dependency-cruiser saw */
  modules: number;
}

const SOURCE_FILE = /\.(ts|mts|cts|tsx|js|mjs|cjs)$/;

/** The rooms named in .dependency-cruiser.cjs (a non-enumerable export that its loader ignores). */
export function configuredRooms(): string[] {
  const require = createRequire(import.meta.url);
  return (require(CONFIG_FILE) as { rooms: string[] }).rooms;
}

/** Checks every rule over `root`/src (default: this repository). Paths in the report are relative to `root`. */
export async function checkImportRules(root: string = REPO_ROOT): Promise<ImportRulesReport> {
  const options: ICruiseOptions = await extractDepcruiseOptions(CONFIG_FILE);
  options.baseDir = root;
  options.tsConfig = { fileName: TSCONFIG_FILE };
  const result = await cruise(['src'], options, { bustTheCache: true }, { tsConfig: extractTSConfig(TSCONFIG_FILE) });
  const output = result.output as ICruiseResult;

  const comments: Record<string, string> = { ...EXTRA_RULES };
  for (const r of options.ruleSet?.forbidden ?? []) comments[r.name ?? '?'] = r.comment ?? '';

  const violations = [
    ...cruiserViolations(output.summary.violations),
    ...roomCycles(output),
    ...cliStartLoads(output),
    ...envReads(root),
    ...roomMismatches(root),
  ];
  violations.sort((a, b) => a.rule.localeCompare(b.rule) || a.from.localeCompare(b.from) || a.to.localeCompare(b.to));
  return { violations, comments, modules: output.modules.filter((m) => m.source.startsWith('src/')).length };
}

/** A package dependency reads as its name, wherever node_modules is (the worktree's is a symlink). */
function displayPath(p: string): string {
  const m = /(?:^|\/)node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(p);
  return m ? `${m[1]} (package)` : p;
}

/** dependency-cruiser's violations; one per module cycle (it may report a cycle from several of its modules). */
function cruiserViolations(found: IViolation[]): Violation[] {
  const out: Violation[] = [];
  const cycles = new Set<string>();
  for (const v of found) {
    if (v.cycle && v.cycle.length > 0) {
      const ring = [v.from, ...v.cycle.map((c) => c.name)];
      ring.pop(); // the cycle ends where it started
      const start = ring.indexOf([...ring].sort()[0]);
      const canonical = [...ring.slice(start), ...ring.slice(0, start)];
      const key = canonical.join(' → ');
      if (cycles.has(key)) continue;
      cycles.add(key);
      out.push({ rule: v.rule.name, from: canonical[0], to: canonical[1 % canonical.length], detail: `cycle: ${key} → ${canonical[0]}` });
    } else {
      const core = v.dependencyTypes?.includes('core') && !v.to.startsWith('node:');
      out.push({ rule: v.rule.name, from: v.from, to: core ? `node:${v.to}` : displayPath(v.to) });
    }
  }
  return out;
}

/** `src/a/b.ts` → `a`; `src/errors.ts` → `errors.ts`. */
function roomOf(path: string): string | undefined {
  const m = /^src\/([^/]+)/.exec(path);
  return m?.[1];
}

/** Every room-to-room edge inside a strongly connected set of rooms lies on a cycle: report each, with its imports. */
function roomCycles(output: ICruiseResult): Violation[] {
  const edges = new Map<string, Map<string, string[]>>(); // room → room → imports "a.ts → b.ts"
  for (const m of output.modules) {
    const from = roomOf(m.source);
    if (!from) continue;
    for (const d of m.dependencies) {
      const to = roomOf(d.resolved);
      if (!to || to === from || d.couldNotResolve) continue;
      const targets = edges.get(from) ?? new Map<string, string[]>();
      edges.set(from, targets);
      const imports = targets.get(to) ?? [];
      targets.set(to, imports);
      imports.push(`${m.source} → ${d.resolved}`);
    }
  }
  const out: Violation[] = [];
  for (const component of stronglyConnected([...edges.keys()], (r) => [...(edges.get(r)?.keys() ?? [])])) {
    if (component.length < 2) continue;
    const members = new Set(component);
    const label = [...component].sort().join(', ');
    for (const from of component) {
      for (const [to, imports] of edges.get(from) ?? []) {
        if (!members.has(to)) continue;
        imports.sort();
        const [first, ...rest] = imports;
        const [fromFile, toFile] = first.split(' → ');
        out.push({
          rule: NO_ROOM_CYCLE,
          from: fromFile,
          to: toFile,
          detail: `${from}/ → ${to}/ (rooms in a cycle: ${label})` + (rest.length ? `; ${rest.length} more import(s) from ${from}/ to ${to}/` : ''),
        });
      }
    }
  }
  return out;
}

/**
 * The static imports that take src/cli/main.ts's start beyond CLI_START_LOADS: a walk from main over
 * the imports that load their module with the importer (not `import()`, not type-only), through the
 * modules it may load; each import that leaves them is one violation, with the chain that reached it.
 */
function cliStartLoads(output: ICruiseResult): Violation[] {
  const bySource = new Map(output.modules.map((m) => [m.source, m]));
  if (!bySource.has(CLI_ENTRY)) return [];
  const out: Violation[] = [];
  const via = new Map<string, string[]>([[CLI_ENTRY, [CLI_ENTRY]]]);
  const queue = [CLI_ENTRY];
  for (let source = queue.shift(); source !== undefined; source = queue.shift()) {
    for (const d of bySource.get(source)?.dependencies ?? []) {
      if (d.coreModule || d.couldNotResolve || d.dependencyTypes.some((t) => NOT_LOADED_AT_IMPORT.has(t))) continue;
      const chain = [...via.get(source)!, displayPath(d.resolved)];
      if (!CLI_START_LOADS.some((re) => re.test(d.resolved))) {
        out.push({ rule: CLI_START, from: source, to: displayPath(d.resolved), detail: `loaded at start: ${chain.join(' → ')}` });
      } else if (!via.has(d.resolved)) {
        via.set(d.resolved, chain);
        queue.push(d.resolved);
      }
    }
  }
  return out;
}

/** Tarjan's strongly connected components. */
function stronglyConnected(nodes: string[], next: (n: string) => string[]): string[][] {
  let counter = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const components: string[][] = [];
  const visit = (v: string): void => {
    index.set(v, counter);
    low.set(v, counter);
    counter++;
    stack.push(v);
    onStack.add(v);
    for (const w of next(v)) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) {
        low.set(v, Math.min(low.get(v)!, index.get(w)!));
      }
    }
    if (low.get(v) === index.get(v)) {
      const component: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        component.push(w);
      } while (w !== v);
      components.push(component);
    }
  };
  for (const n of nodes) if (!index.has(n)) visit(n);
  return components;
}

function walk(dir: string): string[] {
  const files: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, entry.name);
    if (entry.isDirectory()) files.push(...walk(p));
    else if (SOURCE_FILE.test(entry.name)) files.push(p);
  }
  return files;
}

function envReads(root: string): Violation[] {
  const out: Violation[] = [];
  for (const file of walk(join(root, 'src'))) {
    const rel = relative(root, file).split(sep).join('/');
    if (/^src\/(config|cli)\//.test(rel)) continue;
    for (const hit of findProcessEnvReads(readFileSync(file, 'utf8'), file)) {
      out.push({ rule: PROCESS_ENV, from: `${rel}:${hit.line}`, to: 'process.env', detail: hit.text });
    }
  }
  return out;
}

/**
 * Where a source text reads process.env: `process.env`, `process['env']`, `globalThis.process.env`,
 * `const { env } = process`, `import { env } from 'node:process'`. Comments and strings do not count.
 * An alias (`const p = process; p.env`) is not followed.
 */
export function findProcessEnvReads(text: string, fileName = 'file.ts'): { line: number; text: string }[] {
  const source = ts.createSourceFile(fileName, text, ts.ScriptTarget.Latest, true);
  const hits: { line: number; text: string }[] = [];
  const hit = (node: ts.Node): void => {
    const line = source.getLineAndCharacterOfPosition(node.getStart(source)).line + 1;
    hits.push({ line, text: (text.split('\n')[line - 1] ?? '').trim().slice(0, 120) });
  };
  const isProcess = (e: ts.Expression): boolean => {
    while (ts.isParenthesizedExpression(e) || ts.isNonNullExpression(e)) e = e.expression;
    if (ts.isIdentifier(e)) return e.text === 'process';
    if (ts.isPropertyAccessExpression(e)) {
      return e.name.text === 'process' && ts.isIdentifier(e.expression) && ['globalThis', 'global', 'window'].includes(e.expression.text);
    }
    return false;
  };
  const visit = (node: ts.Node): void => {
    if (ts.isPropertyAccessExpression(node) && node.name.text === 'env' && isProcess(node.expression)) {
      hit(node);
    } else if (
      ts.isElementAccessExpression(node) &&
      ts.isStringLiteralLike(node.argumentExpression) &&
      node.argumentExpression.text === 'env' &&
      isProcess(node.expression)
    ) {
      hit(node);
    } else if (ts.isVariableDeclaration(node) && ts.isObjectBindingPattern(node.name) && node.initializer && isProcess(node.initializer)) {
      for (const el of node.name.elements) {
        const key = el.propertyName ?? el.name;
        if ((ts.isIdentifier(key) || ts.isStringLiteral(key)) && key.text === 'env') hit(node);
      }
    } else if (
      ts.isImportDeclaration(node) &&
      ts.isStringLiteral(node.moduleSpecifier) &&
      /^(node:)?process$/.test(node.moduleSpecifier.text) &&
      node.importClause?.namedBindings &&
      ts.isNamedImports(node.importClause.namedBindings)
    ) {
      for (const el of node.importClause.namedBindings.elements) {
        if ((el.propertyName ?? el.name).text === 'env') hit(node);
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return hits;
}

export function roomMismatches(root: string): Violation[] {
  const named = configuredRooms();
  const src = join(root, 'src');
  const present = readdirSync(src).filter((n) => statSync(join(src, n)).isDirectory());
  return [
    ...named.filter((r) => !present.includes(r)).map((r) => ({ rule: ROOMS_MATCH, from: `src/${r}/`, to: 'missing', detail: 'named in .dependency-cruiser.cjs, absent from src/' })),
    ...present.filter((r) => !named.includes(r)).map((r) => ({ rule: ROOMS_MATCH, from: `src/${r}/`, to: 'not a room', detail: 'a folder of src/ that .dependency-cruiser.cjs does not name' })),
  ];
}

/** One block per rule: its name, count and reason, then `from → to` lines. */
export function formatViolations(report: ImportRulesReport): string {
  if (report.violations.length === 0) return `import rules: no violation (${report.modules} modules of src/)`;
  const byRule = new Map<string, Violation[]>();
  for (const v of report.violations) byRule.set(v.rule, [...(byRule.get(v.rule) ?? []), v]);
  const lines: string[] = [];
  for (const [rule, vs] of byRule) {
    lines.push(`${rule} (${vs.length}): ${report.comments[rule] ?? ''}`);
    for (const v of vs) lines.push(`  ${v.from} → ${v.to}${v.detail ? `   [${v.detail}]` : ''}`);
  }
  lines.push(`${report.violations.length} violation(s) of ${byRule.size} rule(s) (${report.modules} modules of src/)`);
  return lines.join('\n');
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  const root = resolve(process.argv[2] ?? REPO_ROOT);
  const report = await checkImportRules(root);
  console.log(formatViolations(report));
  process.exitCode = report.violations.length > 0 ? 1 : 0;
}
