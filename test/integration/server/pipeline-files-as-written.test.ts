/**
 * Pipeline files as operators write them (held-out probe round 30b), on a real server before
 * Elasticsearch 8.19 with the real text model: each case below was served wrongly, in silence —
 * - an exclusion in `index_patterns` (`[h30b-*, -h30b-x*]`, as a search writes it) was a name no
 *   index can have: `h30b-xdebug` was reranked by the default pipeline all the same. Now refused at
 *   the start and at a reload, naming the file, the pattern and why;
 * - a default pipeline and one that is not default, on the same index: the one whose file sorted
 *   first took the index, so the default one reranked nothing unasked when the other's file was
 *   `a-….yaml`. Now the default one, whatever the names;
 * - two pipelines equally specific for an index go by file-name order, and a rename that changes it
 *   was "nothing changed" at a reload (the digest hashed the set by name): the old order served on,
 *   a restart served the new one. Now the reload takes it;
 * - an editor's lock (Emacs' `.#main.yaml`, a dangling symlink) or macOS' `._main.yaml` in the
 *   folder stopped the start, and every reload while it was there. Hidden names are not read now;
 * - a `%YAML 1.1` file read `default: yes` as true; a Latin-1 file's `é` became U+FFFD. Refused;
 * - a folder given by its absolute path had its files named relative to the working folder
 *   (`../../tmp/…/old.yaml`) in the reload's answer and health. Now by their own path;
 * - `budget_ms: 9999999999` was taken, and every rerank of the pipeline failed (VLR_INTERNAL, a
 *   timer's delay out of range). Refused past an hour, as rerank.apiBudgetMs;
 * - `other.json` or `other.yaml.txt` (Windows hides the `.txt` it adds) was passed over in silence;
 * - `match_fields: ["title^x"]` was taken, and every search of the pipeline's own first stage was the
 *   engine's 400 ("For input string"). Refused as the engine refuses it.
 */
import { mkdtempSync, renameSync, rmSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { parseConfig } from '../../../src/config/load.js';
import { parsePipeline } from '../../../src/pipelines/index.js';
import { createLogger } from '../../../src/observability/logger.js';
import { startServer, type RunningServer } from '../../../src/server/start.js';
import { useEngine } from '../../helpers/engines.js';
import { MODELS } from '../../helpers/paths.js';

const TOKEN = 'h30b-admin-token';
const INDICES = ['h30b-keep', 'h30b-xdebug', 'h30b-shared'];
const pipeline = (name: string, patterns: string, extra = '') => `name: ${name}\nindex_patterns: [${patterns}]\nfields:\n  text: [title]\nbudget_ms: 300000\n${extra}`;

let dir: string;
let engineUrl: string;
let srv: RunningServer | undefined;
let log = '';

const configFor = (folder: string) =>
  parseConfig({
    server: { host: '127.0.0.1', port: 0, ui: false, adminToken: TOKEN },
    upstream: { urls: [engineUrl] },
    log: { level: 'warn', access: false },
    models: { dir: MODELS, intraOpThreads: 2 },
    store: { disk: { path: 'off' } },
    pipelines: { dir: folder },
    rerank: { admission: { maxQueueWaitMs: 300_000 } },
  });

async function call(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<{ status: number; body: any }> {
  const r = await fetch(`${srv!.url}${path}`, { method, headers: { 'content-type': 'application/json', ...headers }, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await r.text();
  return { status: r.status, body: text.startsWith('{') ? JSON.parse(text) : text };
}
const reload = () => call('POST', '/_vlrerank/pipelines/_reload', undefined, { authorization: `Bearer ${TOKEN}` });
/** The pipeline that reranked a plain search of `index` (none: the engine's answer). */
const unasked = async (index: string) => (await call('POST', `/${index}/_search`, { query: { match: { title: 'apple' } } })).body.vlrerank?.pipeline;
/** The pipeline that reranked a search of `index` asking for a rerank without naming one. */
const asked = async (index: string) => (await call('POST', `/${index}/_search`, { query: { match: { title: 'apple' } }, ext: { vlrerank: { query: { text: 'apple' } } } })).body.vlrerank?.pipeline;

beforeAll(async () => {
  engineUrl = await useEngine('elasticsearch');
  for (const index of INDICES) {
    await fetch(`${engineUrl}/${index}`, { method: 'DELETE' });
    const bulk = ['green apple', 'apple pie', 'banana bread'].flatMap((title, i) => [JSON.stringify({ index: { _index: index, _id: String(i) } }), JSON.stringify({ title })]).join('\n') + '\n';
    expect((await fetch(`${engineUrl}/_bulk?refresh=true`, { method: 'POST', headers: { 'content-type': 'application/x-ndjson' }, body: bulk })).status).toBe(200);
  }
  dir = mkdtempSync(join(tmpdir(), 'h30b-pipelines-'));
  writeFileSync(join(dir, 'all.yaml'), pipeline('all', 'h30b-keep, h30b-xdebug', 'default: true\n'));
  // the default pipeline of h30b-shared, beside one that is not default whose file sorts first
  writeFileSync(join(dir, 'b-main.yaml'), pipeline('main', 'h30b-shared', 'default: true\n'));
  writeFileSync(join(dir, 'a-variant.yaml'), pipeline('variant', 'h30b-shared', 'failure: fail_closed\n'));
  // what an editor and a copy from a Mac leave beside the files
  symlinkSync('root@host.4242:1796660000', join(dir, '.#b-main.yaml'));
  writeFileSync(join(dir, '._b-main.yaml'), Buffer.from([0, 5, 0x16, 7, 0, 2, 0, 0, 0x4d, 0x61, 0x63, 0x20, 0x4f, 0x53, 0x20, 0x58, 0, 0]));
  // and files meant as pipelines that are not read: said at the start and by a reload
  writeFileSync(join(dir, 'other.json'), JSON.stringify({ name: 'other', index_patterns: ['h30b-other'], fields: { text: ['title'] } }));
  writeFileSync(join(dir, 'other.yaml.txt'), pipeline('other2', 'h30b-other2'));
  const sink = new Writable({ write: (c, _e, cb) => ((log += c.toString()), cb()) });
  srv = await startServer(configFor(dir), { logger: createLogger('warn', sink) });
}, 300_000);

afterAll(async () => {
  await srv?.close();
  for (const index of INDICES) await fetch(`${engineUrl}/${index}`, { method: 'DELETE' }).catch(() => undefined);
  if (dir) rmSync(dir, { recursive: true, force: true });
});

it("starts beside an editor's lock and a Mac's ._ file, and reloads with them there", async () => {
  expect(srv).toBeDefined();
  const r = await reload();
  expect(r.status, JSON.stringify(r.body)).toBe(200);
  expect(r.body.result).toBe('noop');
});

it('says which files meant as pipelines are not read (only *.yaml and *.yml are), at the start and at a reload', async () => {
  expect(log).toMatch(/pipelines folder: 2 file\(s\) not read — only \*\.yaml and \*\.yml are pipelines: other\.json, other\.yaml\.txt/);
  expect((await reload()).body.not_read).toEqual(['other.json', 'other.yaml.txt']);
});

it('refuses an exclusion in index_patterns at the start and at a reload, the set serving kept', async () => {
  const bad = mkdtempSync(join(tmpdir(), 'h30b-bad-'));
  try {
    writeFileSync(join(bad, 'all.yaml'), pipeline('all', 'h30b-*, -h30b-x*', 'default: true\n'));
    await expect(startServer(configFor(bad))).rejects.toThrow(/all\.yaml: index_patterns\.1: "-h30b-x\*" is an exclusion/);
  } finally {
    rmSync(bad, { recursive: true, force: true });
  }
  writeFileSync(join(dir, 'all.yaml'), pipeline('all', 'h30b-*, -h30b-x*', 'default: true\n'));
  try {
    const r = await reload();
    expect(r.status).toBe(400);
    expect(r.body.error.reason).toMatch(/all\.yaml: index_patterns\.1: "-h30b-x\*" is an exclusion/);
    expect(await unasked('h30b-keep')).toBe('all');
  } finally {
    writeFileSync(join(dir, 'all.yaml'), pipeline('all', 'h30b-keep, h30b-xdebug', 'default: true\n'));
  }
});

it("a default pipeline reranks its index's searches unasked beside one that is not default, whichever file sorts first", async () => {
  expect(await unasked('h30b-shared')).toBe('main');
  expect(await asked('h30b-shared')).toBe('main');
  renameSync(join(dir, 'a-variant.yaml'), join(dir, 'z-variant.yaml'));
  try {
    expect((await reload()).status).toBe(200);
    expect(await unasked('h30b-shared')).toBe('main');
  } finally {
    renameSync(join(dir, 'z-variant.yaml'), join(dir, 'a-variant.yaml'));
  }
});

it('a rename that changes which of two equally specific pipelines an index gets is taken by the reload, as by a restart', async () => {
  writeFileSync(join(dir, 'c-one.yaml'), pipeline('one', 'h30b-xdebug'));
  writeFileSync(join(dir, 'd-two.yaml'), pipeline('two', 'h30b-xdebug'));
  writeFileSync(join(dir, 'all.yaml'), pipeline('all', 'h30b-keep', 'default: true\n'));
  try {
    expect((await reload()).body).toMatchObject({ result: 'reloaded', added: ['one', 'two'] });
    expect(await asked('h30b-xdebug')).toBe('one');
    renameSync(join(dir, 'c-one.yaml'), join(dir, 'e-one.yaml'));
    const r = await reload();
    expect(r.body.result).toBe('reloaded');
    expect(await asked('h30b-xdebug')).toBe('two');
  } finally {
    for (const f of ['c-one.yaml', 'e-one.yaml', 'd-two.yaml']) rmSync(join(dir, f), { force: true });
    writeFileSync(join(dir, 'all.yaml'), pipeline('all', 'h30b-keep, h30b-xdebug', 'default: true\n'));
    expect((await reload()).status).toBe(200);
  }
});

it.each([
  ['a %YAML 1.1 file, where yes is true', '%YAML 1.1\n---\n' + pipeline('old', 'h30b-old', 'default: yes\n'), /old\.yaml: \(top level\): .*"%YAML 1\.1": pipeline files are read as YAML 1\.2/],
  ['a Latin-1 file', Buffer.from(pipeline('old', 'h30b-old', 'description: caf\xe9\n'), 'latin1'), /old\.yaml: \(file\): the file is not UTF-8 \(line 6, byte \d+: 0xe9\)/],
  ['two pipelines in one file', pipeline('old', 'h30b-old') + '---\n' + pipeline('old2', 'h30b-old2'), /old\.yaml: \(top level\): holds 2 YAML documents \(the second at line 6\)/],
  ['a budget no timer can hold', pipeline('old', 'h30b-old').replace('budget_ms: 300000', 'budget_ms: 9999999999'), /old\.yaml: budget_ms: must be at most 3600000 \(an hour\)/],
  ['a boost the engine cannot read', pipeline('old', 'h30b-old', 'first_stage: { match_fields: ["title^x"] }\n'), /old\.yaml: first_stage\.match_fields\.0: "title\^x": a boost is a number of at least 0/],
  ['a merge key', pipeline('old', 'h30b-old', 'window:\n  <<: {default: 10}\n  max: 20\n'), /old\.yaml: window: "<<" is a YAML 1\.1 merge key, not read/],
])('refuses %s at a reload, naming the file and why', async (_what, text, why) => {
  writeFileSync(join(dir, 'old.yaml'), text);
  try {
    const r = await reload();
    expect(r.status).toBe(400);
    expect(r.body.error.reason).toMatch(why);
    // the folder was given absolute: its file named by its own path, not `../../tmp/…` from the working folder
    expect(r.body.error.reason).toContain(`: ${join(dir, 'old.yaml')}: `.slice(2));
    expect(r.body.error.reason).not.toContain('../');
  } finally {
    unlinkSync(join(dir, 'old.yaml'));
  }
  expect(await unasked('h30b-keep')).toBe('all');
});

it("refuses the match_fields the engine refuses, and takes the ones it takes (the pipeline's own first stage)", async () => {
  const engineSays = async (field: string) => (await fetch(`${engineUrl}/h30b-keep/_search`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: { multi_match: { query: 'apple', fields: [field] } } }) })).status;
  const taken = (field: string) => {
    try {
      parsePipeline({ index_patterns: ['h30b-keep'], fields: { text: ['title'] }, first_stage: { match_fields: [field] } }, 'p.yaml');
      return true;
    } catch {
      return false;
    }
  };
  for (const field of ['title^x', 'title^-1', 'title^', 'title^2^3']) {
    expect(await engineSays(field), field).toBe(400);
    expect(taken(field), field).toBe(false);
  }
  for (const field of ['title', 'title^2', 'title^0.5', 'title^.5', 'title^1e3', 'title^0', 'tit*^2']) {
    expect(await engineSays(field), field).toBe(200);
    expect(taken(field), field).toBe(true);
  }
});
