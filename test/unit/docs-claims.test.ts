// What the user-facing docs name exists (held-out probe round 13g): every configuration key they
// quote is a key of the schema, every vlrerank configuration snippet in them parses, every pipeline
// key is in pipelines/README.md's table and every key of that table is one the pipeline schema
// takes, every `vlrerank_*` metric they quote is registered, every `VLRERANK_*` variable they name
// is read somewhere, every repository file they name in backticks is there.
import { describe, expect, it } from 'vitest';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parse } from 'yaml';
import { ENV_VARS, parseConfig } from '../../src/config/load.js';
import { configSchema } from '../../src/config/schema.js';
import { pipelineSchema } from '../../src/pipelines/schema.js';
import { createMetrics } from '../../src/observability/metrics.js';

const root = resolve(import.meta.dirname, '../..');
const DOCS = ['README.md', 'docs/DEPLOYMENT.md', 'pipelines/README.md', 'models/README.md'];
const text = (p: string) => readFileSync(join(root, p), 'utf8');
const SECTIONS = Object.keys(parseConfig({}));

function nest(path: string, leaf: unknown): Record<string, unknown> {
  const keys = path.split('.');
  const out: Record<string, unknown> = {};
  let at = out;
  keys.forEach((k, i) => {
    at[k] = i === keys.length - 1 ? leaf : {};
    at = at[k] as Record<string, unknown>;
  });
  return out;
}
function merge(a: unknown, b: unknown): unknown {
  if (a && b && typeof a === 'object' && typeof b === 'object' && !Array.isArray(a)) {
    const o: Record<string, unknown> = { ...(a as Record<string, unknown>) };
    for (const [k, v] of Object.entries(b)) o[k] = merge(o[k], v);
    return o;
  }
  return b === undefined ? a : b;
}
/** The key names a schema refuses as unknown when `path` is present (its value left undefined). */
function unknownKeys(schema: { safeParse(v: unknown): { success: boolean; error?: { issues: Array<{ code: string; keys?: string[] }> } } }, base: unknown, path: string): string[] {
  const r = schema.safeParse(merge(base, nest(path, undefined)));
  return r.success ? [] : r.error!.issues.filter((i) => i.code === 'unrecognized_keys').flatMap((i) => i.keys ?? []);
}

/** Keys of a zod object schema, two levels deep (`section.key`), through defaults, optionals, pipes and preprocesses. */
function objectShape(s: unknown): Record<string, unknown> | undefined {
  for (let i = 0; i < 8 && s; i++) {
    const def = (s as { _zod: { def: Record<string, unknown> } })._zod.def;
    if (def.type === 'object') return def.shape as Record<string, unknown>;
    s = def.innerType ?? def.in ?? (def.type === 'pipe' ? def.out : undefined);
  }
  return undefined;
}
function keysTwoDeep(s: unknown): string[] {
  return Object.entries(objectShape(s) ?? {}).flatMap(([k, v]) => {
    const inner = objectShape(v);
    return inner ? Object.keys(inner).map((c) => `${k}.${c}`) : [k];
  });
}

describe('docs: what they name exists', () => {
  it('every configuration key quoted in the docs is a key of the configuration schema', () => {
    const bad: string[] = [];
    let seen = 0;
    const re = new RegExp(`\`((?:${SECTIONS.join('|')})\\.[A-Za-z0-9_.]*[A-Za-z0-9_])(?:\\.\\*)?\``, 'g');
    for (const doc of DOCS) {
      for (const [, key] of text(doc).matchAll(re)) {
        seen++;
        if (unknownKeys(configSchema, {}, key!).length) bad.push(`${doc}: ${key}`);
      }
    }
    expect(seen).toBeGreaterThan(100);
    expect(bad).toEqual([]);
  });

  it('every vlrerank configuration snippet (```yaml) in the docs parses', () => {
    const bad: string[] = [];
    for (const doc of DOCS) {
      for (const [, body] of text(doc).matchAll(/```yaml\n([\s\S]*?)```/g)) {
        const value = parse(body!) as Record<string, unknown>;
        if (!Object.keys(value ?? {}).some((k) => SECTIONS.includes(k))) continue; // another tool's file (Kubernetes)
        try {
          parseConfig(value, doc);
        } catch (e) {
          bad.push((e as Error).message);
        }
      }
    }
    expect(bad).toEqual([]);
  });

  it("pipelines/README.md's table names each pipeline key, and only keys the pipeline schema takes", () => {
    const md = text('pipelines/README.md');
    const named: string[] = [];
    for (const [, cell] of md.matchAll(/^\| (`[^|]+)\|/gm)) {
      let prefix = '';
      for (const [, k] of cell!.matchAll(/`([^`]+)`/g)) {
        const key = k!.startsWith('.') ? prefix + k : k!;
        if (!k!.startsWith('.')) prefix = k!.split('.').slice(0, -1).join('.');
        named.push(key);
      }
    }
    const base = { index_patterns: ['x'], fields: { text: ['t'] } };
    expect(named.filter((k) => unknownKeys(pipelineSchema, base, k).length)).toEqual([]);
    const schemaKeys = keysTwoDeep(pipelineSchema);
    expect(schemaKeys.length).toBeGreaterThan(20);
    expect(schemaKeys.filter((k) => !named.includes(k) && !named.includes(k.split('.')[0]!))).toEqual([]);
  });

  it('every vlrerank_* metric quoted in the docs is registered', async () => {
    const registered = new Set((await createMetrics().registry.getMetricsAsJSON()).map((m) => m.name));
    const notMetrics = new Set(['vlrerank_features', 'vlrerank_features_key']); // the feature-record fields
    const bad: string[] = [];
    let seen = 0;
    for (const doc of DOCS) {
      for (const [name] of text(doc).matchAll(/\bvlrerank_[a-z0-9_]+/g)) {
        const base = name.replace(/_(bucket|sum|count)$/, '');
        seen++;
        if (!notMetrics.has(name) && !registered.has(name) && !registered.has(base)) bad.push(`${doc}: ${name}`);
      }
    }
    expect(seen).toBeGreaterThan(10);
    expect(bad).toEqual([]);
  });

  it('every VLRERANK_* variable the docs name is read', () => {
    const sources: string[] = [];
    const walk = (dir: string) => {
      for (const f of readdirSync(dir)) {
        const p = join(dir, f);
        if (statSync(p).isDirectory()) walk(p);
        else if (/\.(ts|mjs|js)$/.test(f)) sources.push(readFileSync(p, 'utf8'));
      }
    };
    walk(join(root, 'src'));
    walk(join(root, 'scripts'));
    const all = sources.join('\n');
    const bad: string[] = [];
    for (const doc of DOCS) {
      for (const [name] of text(doc).matchAll(/\bVLRERANK_[A-Z0-9_]+/g)) {
        if (!(name in ENV_VARS) && !all.includes(name)) bad.push(`${doc}: ${name}`);
      }
    }
    expect(bad).toEqual([]);
  });

  it('every repository file the docs name (`dir/…/file.ext`) exists, from the repository root', () => {
    const bad: string[] = [];
    let seen = 0;
    for (const doc of DOCS) {
      for (const [, p] of text(doc).matchAll(/`([A-Za-z0-9_.-]+\/[A-Za-z0-9_./-]+\.(?:ts|mjs|js|cfg|yaml|md|json))`/g)) {
        seen++;
        if (!existsSync(join(root, p!))) bad.push(`${doc}: ${p}`);
      }
    }
    expect(seen).toBeGreaterThan(30);
    expect(bad).toEqual([]);
  });
});
