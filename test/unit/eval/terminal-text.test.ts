/**
 * What `vlrerank eval` prints to a terminal holds ids, texts and names from the user's files and the
 * index (held-out probe round 14c): an id holding `\x1b[2J` cleared the screen, a `\r` rewrote the
 * line, U+202E reversed what followed. The summary, the fit's figures and the printed snippet escape
 * every C0/C1 control character and the bidi overrides and isolates; the JSON and the HTML report
 * keep the ids as they are (each escapes in its own way).
 */
import { describe, expect, it } from 'vitest';
import { crossValidate, type FitQuery } from '../../../src/eval/fit.js';
import { formatFit, snippetYaml, type FitContext } from '../../../src/eval/fit-report.js';
import { formatSummary } from '../../../src/eval/format.js';
import { renderReport } from '../../../src/eval/report-html.js';
import { summarise, type ConfigRun } from '../../../src/eval/summary.js';
import { termSafe } from '../../../src/eval/terminal-text.js';

const CLEAR = 'q\x1b[2J\x1b[H';
const CR = 'fake\r  all fine';
const RLO = 'abc\u202edcba\u2066x\u2069';
const HOSTILE = [CLEAR, CR, RLO, 'nl\nnext', 'c1\u009b31m', 'tab\there', 'del\x7f', 'nul\x00'];
// every control character a terminal acts on (C0, DEL, C1), and the bidi embeddings/overrides/isolates
const UNSAFE = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;

describe('eval output on a terminal', () => {
  it('escapes one line: C0 (tab and newline too), DEL, C1, bidi overrides and isolates; leaves the rest', () => {
    expect(termSafe(CLEAR)).toBe('q\\x1b[2J\\x1b[H');
    expect(termSafe(CR)).toBe('fake\\x0d  all fine');
    expect(termSafe(RLO)).toBe('abc\\u202edcba\\u2066x\\u2069');
    expect(termSafe('nl\nnext\tx\x7f\u0085\u009f')).toBe('nl\\x0anext\\x09x\\x7f\\x85\\x9f');
    expect(termSafe('café 東京 \u200d 😀 <b>')).toBe('café 東京 \u200d 😀 <b>');
  });

  it('the summary: query ids in notes, configuration names, the index — escaped; JSON and HTML keep their own escaping', () => {
    const run = (id: string) => ({ id, first: [] as string[], reranked: [] as string[], timings: {}, wallMs: 5, documentErrors: 1, documentErrorFirst: `${id}: VLR_MEDIA_NOT_FOUND: no file ${id}.jpg`, featureSources: {} });
    const runs: ConfigRun[] = [{ name: `window 3 ${CLEAR}`, window: 3, queries: HOSTILE.map(run) }];
    const r = summarise({ mode: 'proxy', target: { index: `idx${CR}` }, runs, queries: HOSTILE.map((id) => ({ id, text: id })), qrels: new Map(HOSTILE.map((id) => [id, new Map([['d', 1]])])), gain: 'exponential', notes: [`judgement skipped for query "${RLO}"`] });
    const text = formatSummary(r);
    expect(text).not.toMatch(UNSAFE);
    expect(text).toContain('\\x1b[2J');
    expect(text).toContain('\\u202e');
    // one printed line per line of the summary: an id's newline does not start a line
    expect(text.split('\n').some((l) => l.startsWith('next'))).toBe(false);
    // the JSON keeps the ids (JSON.stringify escapes them), the HTML report its own escaping
    expect(JSON.parse(JSON.stringify(r)).perQuery.map((q: { id: string }) => q.id)).toEqual(HOSTILE);
    expect(renderReport(r, runs, {})).not.toContain('\\x1b[2J');
  });

  it('the fit: notes, pipeline name and the snippet\'s comment lines escaped', () => {
    const qs: FitQuery[] = Array.from({ length: 4 }, (_, i) => ({
      id: HOSTILE[i]!,
      rel: new Map([[`d${i}`, 1]]),
      current: [`d${i}`, 'x'],
      candidates: [
        { id: `d${i}`, first: 2, firstRank: 1, signals: [{ name: 's', raw: 0.9, calibrated: 0.9 }] },
        { id: 'x', first: 1, firstRank: 2, signals: [{ name: 's', raw: 0.1, calibrated: 0.1 }] },
      ],
    }));
    const cv = crossValidate(qs, 2, 1);
    const ctx: FitContext = { index: 'i', pipeline: `p${CR}`, window: 2, folds: 2, seed: 1, queries: 4, notInWindow: 0, notes: [`query "${CLEAR}" skipped`, `query "nl\nnext" skipped`], degraded: 0 };
    const text = formatFit(cv, ctx);
    expect(text).not.toMatch(UNSAFE);
    expect(text).toContain('query "q\\x1b[2J\\x1b[H" skipped');
    const yaml = snippetYaml(cv, ctx);
    expect(yaml).not.toMatch(UNSAFE);
    // every comment line is still a comment: the pipeline name's \r and newline do not end one
    for (const line of yaml.split('\n').slice(0, 4)) expect(line.startsWith('#')).toBe(true);
  });
});
