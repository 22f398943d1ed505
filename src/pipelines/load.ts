/**
 * Load every `*.yaml` / `*.yml` in the pipelines folder, validate each against the schema and
 * fail with one message per problem naming the file, the key and the rule
 * (`pipelines/grocery.yaml: window.max: must be greater than or equal to window.default`).
 * A missing folder means "no pipelines", not an error: vlrerank then only passes searches through.
 */
import { closeSync, constants, existsSync, fstatSync, openSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { basename, isAbsolute, join, relative, resolve } from 'node:path';
import { LineCounter, parseAllDocuments } from 'yaml';
import type { z } from 'zod';
import { vlrError } from '../errors.js';
import { utf8FileText } from '../util/text-file.js';
import { yamlLineOf } from '../util/yaml-line.js';
import { pipelineSchema, type Pipeline } from './schema.js';

/**
 * A key a person typed (its keys are all names): a typo of one is shown, anything else only counted.
 * Beside plain names, one with a space at an end (`"default "`) or a letter of another script
 * (`dеfault`, Cyrillic е) is shown quoted with what is odd in it (held-out probe round 30b: "not
 * names, not shown (is this file a pipeline?)" left the typo unfindable). A `:` or `$` (a line of a
 * secrets file) is never shown.
 */
const TYPED_KEY = /^[\p{L}\p{N}_. -]{1,64}$/u;
const shownKey = (k: string) => {
  const odd = [...k].filter((c) => c > '~').map((c) => `U+${c.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}`);
  const notes = [...(k !== k.trim() ? ['spaces at an end'] : []), ...(odd.length ? [`not ASCII: ${odd.join(' ')}`] : [])];
  return `${JSON.stringify(k)}${notes.length ? ` (${notes.join('; ')})` : ''}`;
};

/**
 * An unknown key is named so a typo can be found — unless it is no name at all: a file that is not
 * a pipeline (a symlink to /etc/shadow, a pasted secrets file) parses as a mapping of its lines, and
 * each line was echoed whole into the reload's answer and the error log (held-out probe round 19c:
 * `root:$6$…` hashes).
 */
function unknownKeys(keys: readonly string[]): string {
  const merge = keys.includes('<<');
  const named = keys.filter((k) => k !== '<<' && TYPED_KEY.test(k));
  const other = keys.length - named.length - (merge ? 1 : 0);
  const parts = named.length ? [`unknown key(s) ${named.map(shownKey).join(', ')}`] : [];
  // YAML 1.2 has no merge key: `<<: *base` is a key named "<<", its values never merged
  if (merge) parts.push('"<<" is a YAML 1.1 merge key, not read: pipeline files are YAML 1.2 — write the keys out (an alias *x of a whole value is read)');
  if (other) parts.push(`${other} unknown key(s) that are not names, not shown (is this file a pipeline?)`);
  return parts.join('; ');
}

/** The line of a key or item in the file (undefined: not known, as for a value built in code). */
type LineOf = (path: ReadonlyArray<PropertyKey>) => string | undefined;

function describeIssues(file: string, issues: z.core.$ZodIssue[], lineOf?: LineOf): string[] {
  return issues.map((i) => {
    const key = i.path.length ? i.path.map(String).join('.') : '(top level)';
    let msg = i.message;
    // the line of the key (of an unknown key, the key itself), as the config file's messages say it
    const line = i.code === 'unrecognized_keys' ? lineOf?.([...i.path, i.keys[0]]) : lineOf?.(i.path);
    if (i.code === 'unrecognized_keys') msg = unknownKeys(i.keys);
    return `${file}: ${key}: ${msg}${line ? ` (line ${line})` : ''}`;
  });
}

/** A pipeline file is a few KB; past this it is refused unread (a 50 MB YAML held the event loop 5 s and was served). */
export const MAX_PIPELINE_FILE_BYTES = 1024 * 1024;

/**
 * The text of one pipeline file, read only if it is a regular file of at most
 * MAX_PIPELINE_FILE_BYTES. Opened without blocking and checked on the open descriptor: a FIFO named
 * `x.yaml` (or a symlink to /dev/zero) was read by readFileSync on the event loop — the whole server,
 * health and passthrough included, stopped until something wrote to the FIFO (held-out probe round 19c).
 */
function readPipelineFile(path: string): string {
  const fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) {
      const kind = st.isFIFO() ? 'a FIFO' : st.isCharacterDevice() || st.isBlockDevice() ? 'a device' : st.isDirectory() ? 'a folder' : st.isSocket() ? 'a socket' : 'not a file';
      throw new Error(`is ${kind}, not a regular file: not read`);
    }
    if (st.size > MAX_PIPELINE_FILE_BYTES) throw new Error(`is ${st.size} bytes, more than a pipeline file's ${MAX_PIPELINE_FILE_BYTES} (1 MiB): not read`);
    // UTF-8 or refused: read as 'utf8', a Latin-1 `médias.photo` became `m\uFFFDdias.photo` (a field
    // no document has) and a UTF-16 file "expected object, received string" (held-out probe round 30b)
    return utf8FileText(readFileSync(fd), 'the file');
  } finally {
    closeSync(fd);
  }
}

/** Validate one parsed pipeline document; `file` is used in messages and for the default name. */
export function parsePipeline(doc: unknown, file: string, lineOf?: LineOf): Pipeline {
  const r = pipelineSchema.safeParse(doc);
  if (!r.success) throw vlrError('VLR_PIPELINE_INVALID', describeIssues(file, r.error.issues, lineOf).join('; '), { status: 500 });
  const name = r.data.name ?? basename(file).replace(/\.ya?ml$/i, '');
  if (!/^[a-z0-9][a-z0-9_.-]*$/.test(name)) {
    throw vlrError('VLR_PIPELINE_INVALID', `${file}: name: the file name "${name}" is not a valid pipeline name; set "name:" explicitly`, { status: 500 });
  }
  return Object.freeze({ ...r.data, name, source: file }) as Pipeline;
}

/**
 * Why the pipelines folder holds no pipeline for a message (`undefined` when it is a folder). A
 * relative `pipelines.dir` (the default `pipelines`) is read from the working folder, so a command
 * run from elsewhere — cron starts in $HOME, a systemd unit without `WorkingDirectory` in `/` — found
 * none and said only `no pipeline in pipelines covers index …`; `serve` started and reranked nothing,
 * in silence (held-out probe round 16c).
 */
export function missingPipelinesFolder(dir: string, cwd = process.cwd()): string | undefined {
  const abs = isAbsolute(dir) ? dir : resolve(cwd, dir);
  if (existsSync(abs) && statSync(abs).isDirectory()) return undefined;
  const what = existsSync(abs) ? `the pipelines folder ${abs} is not a folder` : `the pipelines folder ${abs} does not exist`;
  return isAbsolute(dir) ? what : `${what} (pipelines.dir "${dir}" is relative to the working folder ${cwd}: run from the folder that holds it, or set pipelines.dir or VLRERANK_PIPELINES_DIR to an absolute path)`;
}

/**
 * The pipeline files among a folder's names, in the order they are read: `*.yaml` and `*.yml` as a
 * shell's glob takes them, hidden names left out — an editor's lock (Emacs' `.#grocery.yaml`, a
 * dangling symlink while a change is unsaved), macOS' `._grocery.yaml` (binary metadata a copy from
 * a Mac leaves) and the like were read as pipelines: the start refused, and every reload and the
 * watch, for as long as someone had a file open (held-out probe round 30b). A ConfigMap's `..data`
 * and `..<timestamp>` entries are hidden names too.
 */
const visible = (n: string) => !n.startsWith('.');
const pipelineFileNames = (names: readonly string[]) => names.filter((n) => visible(n) && /\.ya?ml$/i.test(n)).sort();

/**
 * Names in the folder that look meant as pipelines but are not read: `grocery.json`, a
 * `grocery.yaml.txt` (Windows hides the extension it adds), `grocery.yaml.bak`, `grocery.yaml~` —
 * said at the start and by a reload (held-out probe round 30b: such a file was passed over in
 * silence, its indices served unreranked). Hidden names are left out, as by the load.
 */
export function unreadPipelineFiles(dir: string, cwd = process.cwd()): string[] {
  try {
    const names = readdirSync(isAbsolute(dir) ? dir : resolve(cwd, dir));
    const read = new Set(pipelineFileNames(names));
    return names.filter((n) => visible(n) && !read.has(n) && /\.(ya?ml|json)/i.test(n)).sort();
  } catch {
    return []; // no folder: said elsewhere (missingPipelinesFolder)
  }
}

/**
 * One file's YAML as a value, refused with the line where it reads other than YAML 1.2 would: a
 * `%YAML 1.1` directive made the parser read `yes`/`no`/`on`/`off` as booleans, `1:30` as 90 and
 * `010` as 8, in silence; a tag it does not know (`!env X`) became the text after it, with a warning
 * on stderr only; several documents were refused in the parser's words ("please use
 * YAML.parseAllDocuments()"), a lone `---` after the one document too (held-out probe round 30b).
 */
function parsePipelineYaml(text: string): { value: unknown; lineOf?: LineOf } {
  const lines = new LineCounter();
  const docs = parseAllDocuments(text, { uniqueKeys: true, prettyErrors: true, lineCounter: lines });
  const problem = (msg: string) => new Error(msg.split('\n')[0]);
  const found = Array.isArray(docs) ? docs : [];
  for (const d of found) {
    if (d.errors.length) throw problem(`not valid YAML: ${d.errors[0].message}`);
    if (d.directives?.yaml.explicit && d.directives.yaml.version !== '1.2') {
      throw problem(`not valid YAML: "%YAML ${d.directives.yaml.version}": pipeline files are read as YAML 1.2 (where yes, no, on and off are words, not true or false, and 1:30 is no number): remove the directive`);
    }
    if (d.warnings.length) throw problem(`not valid YAML: ${d.warnings[0].message}`);
  }
  // each document's value made once (a `---` alone before or after the pipeline is a document of none)
  const used = found.flatMap((d) => (d.contents === null ? [] : [{ d, value: d.toJS() as unknown }])).filter((u) => u.value != null);
  if (used.length > 1) throw problem(`holds ${used.length} YAML documents (the second at line ${lines.linePos(used[1]!.d.range[0]).line}): a pipeline file holds one pipeline — put each in a file of its own`);
  const one = used[0];
  return one ? { value: one.value, lineOf: (path) => yamlLineOf(one.d, lines, path) } : { value: null };
}

/**
 * A digest of what `loadPipelines` would read now — each pipeline file's name and bytes (what
 * cannot be read: why) — without parsing anything: what `pipelines.watch` compares to see that
 * the folder changed. Files are read through the same guards (regular files of at most 1 MiB,
 * opened without blocking), and through symlinks, so a Kubernetes ConfigMap's `..data` swap (every
 * `x.yaml` a symlink into it) changes the digest though no listed name changed.
 */
export function pipelinesFolderDigest(dir: string, cwd = process.cwd()): string {
  const abs = isAbsolute(dir) ? dir : resolve(cwd, dir);
  const h = createHash('sha256');
  let names: string[];
  try {
    names = readdirSync(abs);
  } catch (e) {
    return h.update(`(folder): ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`).digest('hex');
  }
  for (const f of pipelineFileNames(names)) {
    h.update(`\0${f}\0`);
    try {
      h.update(readPipelineFile(join(abs, f)));
    } catch (e) {
      h.update(`(unread): ${(e as Error).message}`);
    }
  }
  return h.digest('hex');
}

/** Load all pipelines of a folder (sorted by file name). Duplicate names are an error. */
export function loadPipelines(dir: string, cwd = process.cwd()): Pipeline[] {
  const abs = isAbsolute(dir) ? dir : resolve(cwd, dir);
  if (!existsSync(abs) || !statSync(abs).isDirectory()) return [];
  const out: Pipeline[] = [];
  const errors: string[] = [];
  let names: string[];
  try {
    names = readdirSync(abs);
  } catch (e) {
    throw vlrError('VLR_PIPELINE_INVALID', `${isAbsolute(dir) ? abs : relative(cwd, abs) || abs}: the pipelines folder cannot be read: ${(e as Error).message}`, { status: 500 });
  }
  for (const f of pipelineFileNames(names)) {
    const path = join(abs, f);
    // as the folder was given: an absolute one's files by their absolute path (shown relative to the
    // working folder, `/etc/vlrerank/pipelines/a.yaml` read `../etc/vlrerank/pipelines/a.yaml` from `/app`)
    const shown = isAbsolute(dir) ? path : relative(cwd, path) || f;
    let text: string;
    try {
      text = readPipelineFile(path);
    } catch (e) {
      errors.push(`${shown}: (file): ${(e as Error).message}`);
      continue;
    }
    let doc: unknown;
    let lineOf: LineOf | undefined;
    try {
      ({ value: doc, lineOf } = parsePipelineYaml(text));
    } catch (e) {
      errors.push(`${shown}: (top level): ${(e as Error).message}`);
      continue;
    }
    if (doc == null) {
      errors.push(`${shown}: (top level): holds no pipeline (the file is empty, or only comments): write one, or move the file out of the folder`);
      continue;
    }
    try {
      out.push(parsePipeline(doc, shown, lineOf));
    } catch (e) {
      errors.push((e as Error).message);
    }
  }
  const seen = new Map<string, string>();
  for (const p of out) {
    const prev = seen.get(p.name);
    if (prev) errors.push(`${p.source}: name: pipeline "${p.name}" is already defined in ${prev}`);
    seen.set(p.name, p.source);
  }
  // the same pattern in two default pipelines: neither is more specific, so which one reranks its
  // indices unasked would depend on the files' names alone (held-out probe round 18b). Pipelines
  // that are not default may share a pattern: a client names the one it wants (a fail-open and a
  // fail-closed variant, an A/B pair of weights on one index).
  const defaultOf = new Map<string, Pipeline>();
  for (const p of out) {
    if (!p.default) continue;
    for (const pattern of new Set(p.index_patterns)) {
      const prev = defaultOf.get(pattern);
      if (prev && prev.name !== p.name) errors.push(`${p.source}: index_patterns: "${pattern}" is already a pattern of default pipeline "${prev.name}" (${prev.source}); two default pipelines cannot share a pattern (make one of them default: false and name it per search)`);
      else defaultOf.set(pattern, p);
    }
  }
  if (errors.length) throw vlrError('VLR_PIPELINE_INVALID', errors.join('; '), { status: 500 });
  return out;
}
