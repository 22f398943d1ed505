/** Held-out probe round 30b: hand-written pipeline files through loadPipelines (what start and reload read). */
import { mkdtempSync, writeFileSync, symlinkSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { loadPipelines } from '../../src/pipelines/load.js';
import { PipelineRegistry } from '../../src/pipelines/registry.js';

const base = (name: string, pat: string, extra = '') => `name: ${name}\nindex_patterns: [${pat}]\nfields: { text: [title] }\n${extra}`;
type Files = Record<string, string | Buffer | { link: string }>;
const cases: Array<[string, Files, string[]?]> = [
  ['dup key top', { 'a.yaml': base('a', 'p30b-a') + 'window: { default: 10 }\nwindow: { default: 20 }\n' }],
  ['dup key nested', { 'a.yaml': base('a', 'p30b-a') + 'window:\n  default: 10\n  default: 20\n' }],
  ['anchor+alias', { 'a.yaml': 'x: &w { default: 10, max: 20 }\n' + base('a', 'p30b-a') }],
  ['alias used', { 'a.yaml': base('a', 'p30b-a', 'window: &w { default: 10, max: 20 }\n') }],
  ['merge key nested', { 'a.yaml': base('a', 'p30b-a', 'window:\n  <<: { default: 10 }\n  max: 20\n') }],
  ['merge key top', { 'a.yaml': '<<: { default: true }\n' + base('a', 'p30b-a') }],
  ['default: on', { 'a.yaml': base('a', 'p30b-a', 'default: on\n') }],
  ['default: yes', { 'a.yaml': base('a', 'p30b-a', 'default: yes\n') }],
  ['default: "true"', { 'a.yaml': base('a', 'p30b-a', 'default: "true"\n') }],
  ['default: True', { 'a.yaml': base('a', 'p30b-a', 'default: True\n') }],
  ['default: TRUE', { 'a.yaml': base('a', 'p30b-a', 'default: TRUE\n') }],
  ['budget 1:30', { 'a.yaml': base('a', 'p30b-a', 'budget_ms: 1:30\n') }],
  ['name: no', { 'a.yaml': base('no', 'p30b-a') }],
  ['name: 1.0', { 'a.yaml': base('1.0', 'p30b-a') }],
  ['name: 010', { 'a.yaml': base('010', 'p30b-a') }],
  ['pattern: 1e3', { 'a.yaml': base('a', '1e3') }],
  ['pattern: 0x10 (number)', { 'a.yaml': base('a', '0x10') }],
  ['pattern: null', { 'a.yaml': base('a', 'null') }],
  ['pattern: ~', { 'a.yaml': 'name: a\nindex_patterns: ~\nfields: {text: [title]}\n' }],
  ['text field on', { 'a.yaml': 'name: a\nindex_patterns: [p30b-a]\nfields: {text: [on, yes]}\n' }],
  ['text field 12', { 'a.yaml': 'name: a\nindex_patterns: [p30b-a]\nfields: {text: [12]}\n' }],
  ['weights "0.5"', { 'a.yaml': base('a', 'p30b-a', 'scorer: { weights: { text_text: "0.5" } }\n') }],
  ['window 1e2', { 'a.yaml': base('a', 'p30b-a', 'window: { default: 1e2, max: 1e2 }\n') }],
  ['window 100.0', { 'a.yaml': base('a', 'p30b-a', 'window: { default: 100.0, max: 100.0 }\n') }],
  ['window 0x64', { 'a.yaml': base('a', 'p30b-a', 'window: { default: 0x64, max: 0x64 }\n') }],
  ['window 0o144', { 'a.yaml': base('a', 'p30b-a', 'window: { default: 0o144, max: 0o144 }\n') }],
  ['window 0144', { 'a.yaml': base('a', 'p30b-a', 'window: { default: 0144, max: 0144 }\n') }],
  ['window 1_000', { 'a.yaml': base('a', 'p30b-a', 'window: { default: 1_000, max: 1_000 }\n') }],
  ['window -5', { 'a.yaml': base('a', 'p30b-a', 'window: { default: -5 }\n') }],
  ['window huge', { 'a.yaml': base('a', 'p30b-a', 'window: { default: 100000000, max: 1e300 }\n') }],
  ['window .inf', { 'a.yaml': base('a', 'p30b-a', 'window: { max: .inf }\n') }],
  ['budget huge', { 'a.yaml': base('a', 'p30b-a', 'budget_ms: 1e300\n') }],
  ['budget 0', { 'a.yaml': base('a', 'p30b-a', 'budget_ms: 0\n') }],
  ['min_score .nan', { 'a.yaml': base('a', 'p30b-a', 'min_score: .nan\n') }],
  ['min_score 1e400', { 'a.yaml': base('a', 'p30b-a', 'min_score: 1e400\n') }],
  ['weights .inf', { 'a.yaml': base('a', 'p30b-a', 'scorer: { weights: { text_text: .inf } }\n') }],
  ['typo index_pattern', { 'a.yaml': 'name: a\nindex_pattern: [p30b-a]\nfields: {text: [title]}\n' }],
  ['tabs', { 'a.yaml': 'name: a\nindex_patterns: [p30b-a]\nfields:\n\ttext: [title]\n' }],
  ['tab after colon', { 'a.yaml': 'name:\ta\nindex_patterns:\t[p30b-a]\nfields: {text: [title]}\n' }],
  ['BOM', { 'a.yaml': '\uFEFF' + base('a', 'p30b-a') }],
  ['CRLF', { 'a.yaml': base('a', 'p30b-a', 'window: {default: 10}\n').replace(/\n/g, '\r\n') }],
  ['CR only', { 'a.yaml': base('a', 'p30b-a', 'window: {default: 10}\n').replace(/\n/g, '\r') }],
  ['UTF-16 LE BOM', { 'a.yaml': Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(base('a', 'p30b-a'), 'utf16le')]) }],
  ['Latin-1 description', { 'a.yaml': Buffer.from(base('a', 'p30b-a', 'description: caf\xe9\n'), 'latin1') }],
  ['two docs', { 'a.yaml': base('a', 'p30b-a') + '---\n' + base('b', 'p30b-b') }],
  ['leading ---', { 'a.yaml': '---\n' + base('a', 'p30b-a') }],
  ['trailing ---', { 'a.yaml': base('a', 'p30b-a') + '---\n' }],
  ['trailing ...', { 'a.yaml': base('a', 'p30b-a') + '...\n' }],
  ['%YAML 1.1', { 'a.yaml': '%YAML 1.1\n---\n' + base('a', 'p30b-a', 'default: yes\n') }],
  ['%YAML 1.1 sexagesimal', { 'a.yaml': '%YAML 1.1\n---\n' + base('a', 'p30b-a', 'budget_ms: 1:30\n') }],
  ['%YAML 1.1 octal', { 'a.yaml': '%YAML 1.1\n---\n' + base('a', 'p30b-a', 'window: {default: 010}\n') }],
  ['!!binary tag', { 'a.yaml': base('a', 'p30b-a', 'description: !!binary aGVsbG8=\n') }],
  ['!!set tag', { 'a.yaml': 'name: a\nindex_patterns: !!set {p30b-a}\nfields: {text: [title]}\n' }],
  ['!!str number', { 'a.yaml': base('a', 'p30b-a', 'budget_ms: !!int "300"\n') }],
  ['custom tag', { 'a.yaml': base('a', 'p30b-a', 'budget_ms: !env BUDGET\n') }],
  ['timestamp description', { 'a.yaml': base('a', 'p30b-a', 'description: 2026-12-07\n') }],
  ['empty file', { 'a.yaml': '' }],
  ['only comments', { 'a.yaml': '# nothing yet\n# TODO\n' }],
  ['only ---', { 'a.yaml': '---\n' }],
  ['only whitespace', { 'a.yaml': '\n\n   \n' }],
  ['a list', { 'a.yaml': '- ' + base('a', 'p30b-a').replace(/\n(?=.)/g, '\n  ') }],
  ['scalar', { 'a.yaml': 'hello\n' }],
  ['same name two files', { 'a.yaml': base('x', 'p30b-a'), 'b.yaml': base('x', 'p30b-b') }],
  ['same name diff case file', { 'a.yaml': base('a', 'p30b-a'), 'A.yaml': base('a2', 'p30b-a') }],
  ['name by file a.yaml and a.yml', { 'a.yaml': 'index_patterns: [p30b-a]\nfields: {text: [title]}\n', 'a.yml': 'index_patterns: [p30b-b]\nfields: {text: [title]}\n' }],
  ['file name upper', { 'Grocery.yaml': 'index_patterns: [p30b-a]\nfields: {text: [title]}\n' }],
  ['file name with space', { 'my pipe.yaml': 'index_patterns: [p30b-a]\nfields: {text: [title]}\n' }],
  ['.YAML ext', { 'a.YAML': base('a', 'p30b-a') }],
  ['.json ext', { 'a.json': JSON.stringify({ name: 'a', index_patterns: ['p30b-a'], fields: { text: ['title'] } }) }],
  ['.yaml.bak', { 'a.yaml.bak': base('a', 'p30b-a') }],
  ['~ backup', { 'a.yaml~': base('a', 'p30b-a') }],
  ['.swp', { '.a.yaml.swp': Buffer.from([0x62, 0x30, 0x56, 0x49, 0x4d, 0x20, 0, 0, 1]) }],
  ['hidden .a.yaml', { 'a.yaml': base('a', 'p30b-a'), '.a.yaml': base('a', 'p30b-b') }],
  ['AppleDouble ._a.yaml', { 'a.yaml': base('a', 'p30b-a'), '._a.yaml': Buffer.from([0, 5, 0x16, 7, 0, 2, 0, 0, 0x4d, 0x61, 0x63, 0x20, 0x4f, 0x53, 0x20, 0x58, 0, 0, 0, 0]) }],
  ['emacs lock .#a.yaml (dangling)', { 'a.yaml': base('a', 'p30b-a'), '.#a.yaml': { link: 'root@host.1234:1700000000' } }],
  ['emacs autosave #a.yaml#', { 'a.yaml': base('a', 'p30b-a'), '#a.yaml#': base('a', 'p30b-a') }],
  ['dangling symlink', { 'a.yaml': base('a', 'p30b-a'), 'b.yaml': { link: '/nonexistent/b.yaml' } }],
  ['json in .yaml', { 'a.yaml': JSON.stringify({ name: 'a', index_patterns: ['p30b-a'], fields: { text: ['title'] } }) }],
  ['json dup key in .yaml', { 'a.yaml': '{"name":"a","index_patterns":["p30b-a"],"fields":{"text":["title"]},"default":false,"default":true}' }],
  ['pattern -foo*', { 'a.yaml': base('a', 'p30b-*, -p30b-x*') }],
  ['pattern upper', { 'a.yaml': base('a', 'P30B-*') }],
  ['pattern _x', { 'a.yaml': base('a', '_p30b') }],
  ['pattern +x', { 'a.yaml': base('a', '+p30b') }],
  ['pattern *', { 'a.yaml': base('a', '"*"') }],
  ['pattern _all', { 'a.yaml': base('a', '_all') }],
  ['pattern with ?', { 'a.yaml': base('a', 'p30b-?') }],
  ['pattern with / \\ |', { 'a.yaml': base('a', '"p30b/x", "p30b|y"') }],
  ['pattern . and ..', { 'a.yaml': base('a', '".", ".."') }],
  ['pattern <date>', { 'a.yaml': base('a', '"<p30b-{now/d}>"') }],
  ['pattern 300 chars', { 'a.yaml': base('a', 'p'.repeat(300)) }],
  ['pattern dup in list', { 'a.yaml': base('a', 'p30b-a, p30b-a') }],
  ['patterns empty list', { 'a.yaml': base('a', '') }],
  ['fields.text empty', { 'a.yaml': 'name: a\nindex_patterns: [p30b-a]\nfields: {text: []}\n' }],
  ['fields.text dup', { 'a.yaml': 'name: a\nindex_patterns: [p30b-a]\nfields: {text: [title, title]}\n' }],
  ['same pattern two non-default', { 'a.yaml': base('a', 'p30b-a'), 'b.yaml': base('b', 'p30b-a') }],
  ['same pattern default + not', { 'a.yaml': base('a', 'p30b-a'), 'b.yaml': base('b', 'p30b-a', 'default: true\n') }],
  ['overlap a*c / ab*', { 'a.yaml': base('a', 'p30b-a*c'), 'b.yaml': base('b', 'p30b-ab*') }],
  ['key with trailing space', { 'a.yaml': 'name: a\nindex_patterns: [p30b-a]\nfields: {text: [title]}\n"default ": true\n' }],
  ['key upper Default', { 'a.yaml': base('a', 'p30b-a', 'Default: true\n') }],
  ['unicode key homoglyph', { 'a.yaml': base('a', 'p30b-a', 'dеfault: true\n') }],
  ['NUL in file', { 'a.yaml': base('a', 'p30b-a', 'description: "x\0y"\n') }],
  ['raw NUL', { 'a.yaml': base('a', 'p30b-a') + '\0\n' }],
  ['instruction multiline >', { 'a.yaml': base('a', 'p30b-a', 'instruction: >\n  find it\n  now\n') }],
  ['long line 100k', { 'a.yaml': base('a', 'p30b-a', `description: ${'x'.repeat(100000)}\n`) }],
];

const probe = process.argv[2];
for (const [label, files, _] of cases) {
  if (probe && !label.includes(probe)) continue;
  const dir = mkdtempSync(join(tmpdir(), 'p30b-'));
  for (const [f, c] of Object.entries(files)) {
    if (typeof c === 'object' && !Buffer.isBuffer(c)) symlinkSync(c.link, join(dir, f));
    else writeFileSync(join(dir, f), c);
  }
  try {
    const ps = loadPipelines(dir, dir);
    const reg = new PipelineRegistry(ps);
    const show = ps.map((p) => `${p.name}<${p.source}>${JSON.stringify({ pat: p.index_patterns, def: p.default, win: p.window, b: p.budget_ms, w: p.scorer.weights, t: p.fields.text, d: p.description?.slice(0, 20), ms: p.min_score })}`);
    console.log(`OK   ${label}: ${show.join(' | ') || '(none)'}  forIndex(p30b-a)=${reg.forIndex('p30b-a')?.name} (p30b-x1)=${reg.forIndex('p30b-x1')?.name} (p30b-abc)=${reg.forIndex('p30b-abc')?.name}`);
  } catch (e) {
    console.log(`ERR  ${label}: ${(e as Error).message.slice(0, 400)}`);
  }
}
