/**
 * Generate the configuration reference (a markdown table) from the one zod schema: every
 * setting's dotted key, type and rule, default, environment variable and description. Types,
 * rules and defaults come from `z.toJSONSchema(configSchema)`; descriptions from the `/** … *\/`
 * comments above each key in src/config/schema.ts and its sections' src/config/schema-*.ts (read
 * with the TypeScript parser), so the reference cannot drift from the schema.
 *
 *   npx tsx scripts/config-reference.ts            # print
 *   npx tsx scripts/config-reference.ts --write F  # write to file F
 *   npx tsx scripts/config-reference.ts --readme   # replace the section between the markers in README.md
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { z } from 'zod';
import { configSchema, SECRET_PATHS } from '../src/config/schema.js';
import { ENV_VARS } from '../src/config/load.js';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..');

interface JsonSchema {
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  items?: JsonSchema;
  enum?: unknown[];
  default?: unknown;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  minLength?: number;
  minItems?: number;
  format?: string;
  anyOf?: JsonSchema[];
}

/** The files of the configuration schema: schema.ts (configSchema) and its sections, schema-*.ts. */
export function schemaFiles(dir = resolve(REPO, 'src/config')): string[] {
  return readdirSync(dir)
    .filter((f) => /^schema(-[\w-]+)?\.ts$/.test(f))
    .sort()
    .map((f) => resolve(dir, f));
}

/** `section.key` → comment, from the JSDoc above each property in the schema's files (a section's `const xSchema` may be in any). */
export function schemaComments(files = schemaFiles()): Map<string, string> {
  const out = new Map<string, string>();
  // top-level `const xSchema = z.strictObject({...})` → section name from configSchema's keys
  const sectionOf = new Map<string, string>();
  const objects = new Map<string, { obj: ts.ObjectLiteralExpression; src: ts.SourceFile }>();
  const firstObjectArg = (n: ts.Node): ts.ObjectLiteralExpression | undefined => {
    let found: ts.ObjectLiteralExpression | undefined;
    const visit = (x: ts.Node) => {
      if (found) return;
      // the call's own method name: `z.strictObject({…}).default({…})` is a call of `default` whose
      // callee text also contains "strictObject", and its argument is the default, not the shape
      const method = ts.isPropertyAccessExpression(x) ? undefined : ts.isCallExpression(x) && ts.isPropertyAccessExpression(x.expression) ? x.expression.name.text : undefined;
      if (ts.isCallExpression(x) && method && /^(strictObject|object)$/.test(method) && x.arguments[0] && ts.isObjectLiteralExpression(x.arguments[0])) found = x.arguments[0];
      else ts.forEachChild(x, visit);
    };
    visit(n);
    return found;
  };
  for (const file of files) {
    const src = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.ES2022, true);
    for (const st of src.statements) {
      if (!ts.isVariableStatement(st)) continue;
      for (const d of st.declarationList.declarations) {
        const obj = d.initializer && firstObjectArg(d.initializer);
        if (obj && ts.isIdentifier(d.name)) objects.set(d.name.text, { obj, src });
      }
    }
  }
  const root = objects.get('configSchema');
  for (const p of root?.obj.properties ?? []) {
    if (ts.isPropertyAssignment(p)) {
      const ref = /^(\w+Schema)/.exec(p.initializer.getText(root!.src))?.[1];
      if (ref) sectionOf.set(ref, p.name.getText(root!.src));
    }
  }
  const commentOf = (n: ts.Node, src: ts.SourceFile): string => {
    const ranges = ts.getLeadingCommentRanges(src.text, n.getFullStart()) ?? [];
    const jsdoc = ranges.map((r) => src.text.slice(r.pos, r.end)).filter((c) => c.startsWith('/**')).pop();
    return jsdoc ? jsdoc.replace(/^\/\*\*|\*\/$/g, '').split('\n').map((l) => l.replace(/^\s*\*\s?/, '').trim()).filter(Boolean).join(' ') : '';
  };
  const walk = (obj: ts.ObjectLiteralExpression, src: ts.SourceFile, prefix: string) => {
    for (const p of obj.properties) {
      if (!ts.isPropertyAssignment(p)) continue;
      const key = `${prefix}.${p.name.getText(src)}`;
      const c = commentOf(p, src);
      if (c) out.set(key, c);
      const inner = firstObjectArg(p.initializer);
      if (inner) walk(inner, src, key);
    }
  };
  for (const [name, section] of sectionOf) {
    const found = objects.get(name);
    if (found) walk(found.obj, found.src, section);
  }
  return out;
}

function typeOf(s: JsonSchema): string {
  if (s.anyOf) return s.anyOf.map(typeOf).join(' \\| ');
  if (s.enum) return s.enum.map((e) => `\`${String(e)}\``).join(' \\| ');
  const t = Array.isArray(s.type) ? s.type.join('|') : (s.type ?? 'any');
  if (t === 'array') return `list of ${s.items ? typeOf(s.items) : 'any'}`;
  const rules: string[] = [];
  if (s.minimum !== undefined) rules.push(`≥ ${s.minimum}`);
  if (s.exclusiveMinimum !== undefined) rules.push(`> ${s.exclusiveMinimum}`);
  if (s.maximum !== undefined && s.maximum < Number.MAX_SAFE_INTEGER) rules.push(`≤ ${s.maximum}`);
  if (s.minLength) rules.push(`min length ${s.minLength}`);
  if (s.format === 'uri') rules.push('URL');
  return rules.length ? `${t} (${rules.join(', ')})` : t;
}

function fmtDefault(v: unknown): string {
  if (v === undefined) return '';
  if (typeof v === 'number' && v >= 1024 * 1024 && v % (1024 * 1024) === 0) return `\`${v}\` (${v / 1024 / 1024} MiB)`;
  return `\`${JSON.stringify(v)}\``;
}

export function configReference(): string {
  const js = z.toJSONSchema(configSchema, { io: 'input', unrepresentable: 'any' }) as JsonSchema;
  const comments = schemaComments();
  const envOf = new Map(Object.entries(ENV_VARS).map(([name, { path }]) => [path, name]));
  const secret = new Set<string>(SECRET_PATHS);
  const rows: string[] = [];
  const walk = (s: JsonSchema, path: string) => {
    if (s.type === 'object' && s.properties) {
      for (const [k, v] of Object.entries(s.properties)) walk(v, path ? `${path}.${k}` : k);
      return;
    }
    const env = envOf.get(path);
    const desc = (comments.get(path) ?? '').replace(/\|/g, '\\|') + (secret.has(path) ? ' *(secret: redacted in logs and `vlrerank config`)*' : '');
    rows.push(`| \`${path}\` | ${typeOf(s)} | ${fmtDefault(s.default)} | ${env ? `\`${env}\`` : ''} | ${desc} |`);
  };
  walk(js, '');
  return [
    '<!-- generated by scripts/config-reference.ts from src/config/schema.ts; do not edit by hand -->',
    '| key | type | default | environment | description |',
    '|---|---|---|---|---|',
    ...rows,
    '',
    'Precedence: YAML file (`--config` / `VLRERANK_CONFIG`) < `VLRERANK_*` environment variables < command-line flags. Lists in environment variables are comma-separated. Unknown keys and bad values stop the start with a message naming the key and the rule; `vlrerank serve` warns of a `VLRERANK_` variable it does not read, naming the closest one.',
    '',
  ].join('\n');
}

export const README_START = '<!-- config-reference:start -->';
export const README_END = '<!-- config-reference:end -->';

/** The README with its configuration section replaced by the generated reference. */
export function readmeWithReference(readme: string, md = configReference()): string {
  const a = readme.indexOf(README_START);
  const b = readme.indexOf(README_END);
  if (a < 0 || b < a) throw new Error(`README.md lacks the ${README_START} … ${README_END} markers`);
  return readme.slice(0, a + README_START.length) + '\n' + md + readme.slice(b);
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const md = configReference();
  const i = process.argv.indexOf('--write');
  if (process.argv.includes('--readme')) {
    const file = resolve(REPO, 'README.md');
    writeFileSync(file, readmeWithReference(readFileSync(file, 'utf8'), md));
  } else if (i > 0 && process.argv[i + 1]) writeFileSync(process.argv[i + 1]!, md);
  else process.stdout.write(md);
}
