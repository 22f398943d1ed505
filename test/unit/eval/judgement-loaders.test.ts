/**
 * The loaders of `vlrerank eval`: queries JSONL, qrels TSV (BEIR and TREC), graded JSONL, the BEIR
 * folder layout (the real SciFact folder in ../shared/data), TREC run files and collections — and
 * a clear error naming file and line for each kind of mistake.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { beirFiles, loadQrels, loadQueries, parseCollection, parseQrelsJsonl, parseQrelsTsv, parseQueries, parseRun, selectionNotes, selectQueries } from '../../../src/eval/judgements.js';
import { jsonl } from '../../helpers/reranker.js';
import { DATA } from '../../helpers/paths.js';

const tmp = mkdtempSync(join(tmpdir(), 'vlr-eval-loaders-'));
const file = (name: string, text: string) => {
  const p = join(tmp, name);
  writeFileSync(p, text);
  return p;
};

describe('qrels', () => {
  it('BEIR TSV with its header, in order of first appearance', () => {
    const q = parseQrelsTsv('query-id\tcorpus-id\tscore\n7\td1\t1\n3\td2\t2\n7\td3\t0\n', 'q.tsv');
    expect([...q.keys()]).toEqual(['7', '3']);
    expect(q.get('7')).toEqual(new Map([['d1', 1], ['d3', 0]]));
    expect(q.get('3')!.get('d2')).toBe(2);
  });
  it('TREC qrels (qid iter docid rel)', () => {
    const q = parseQrelsTsv('q1 0 docA 2\nq1 0 docB 0\n', 'q.trec');
    expect(q.get('q1')).toEqual(new Map([['docA', 2], ['docB', 0]]));
  });
  it('tab-separated ids holding a space stay whole: three BEIR columns are not read as TREC\'s four (round 14c)', () => {
    const q = parseQrelsTsv('query-id\tcorpus-id\tscore\nclaim 1\tdoc a\t2\nclaim 1\td2\t1\n', 'q.tsv');
    expect([...q.keys()]).toEqual(['claim 1']);
    expect(q.get('claim 1')).toEqual(new Map([['doc a', 2], ['d2', 1]]));
    // TREC's four columns by tabs, and by spaces, as before
    expect(parseQrelsTsv('q 1\t0\tdoc a\t1\n', 'q.tsv').get('q 1')).toEqual(new Map([['doc a', 1]]));
    expect(parseQrelsTsv('q1 0 d1 1\n', 'q.trec').get('q1')).toEqual(new Map([['d1', 1]]));
    // a run file likewise
    expect(parseRun('claim 1\tQ0\tdoc a\t1\t0.9\tbm25\nclaim 1\tQ0\tdoc b\t2\t0.5\tbm25\n', 'run.tsv').get('claim 1')).toEqual(['doc a', 'doc b']);
  });
  it('an id written as a JSON number past 2^53 is refused (JSON readers round it; it matched nothing): round 14c', () => {
    expect(() => parseQueries('{"_id": 1234567890123456789, "text": "x"}\n', 'q.jsonl')).toThrow(/q\.jsonl:1: "_id" is a number past 2\^53.*write the id as a string/);
    expect(() => parseQrelsJsonl('{"query_id": "a", "doc_id": 9007199254740993}\n', 'g.jsonl')).toThrow(/g\.jsonl:1: "doc_id" is a number past 2\^53/);
    expect(() => parseQrelsJsonl('{"query_id": "a", "relevant": [9007199254740993]}\n', 'g.jsonl')).toThrow(/past 2\^53/);
    expect(() => parseCollection('{"id": 18014398509481985, "text": "x"}\n', 'c.jsonl')).toThrow(/c\.jsonl:1: "id" is a number past 2\^53/);
    // numbers JSON keeps exactly stay ids
    expect(parseQueries('{"_id": 9007199254740991, "text": "x"}\n', 'q.jsonl').queries[0]!.id).toBe('9007199254740991');
  });
  it('graded JSONL, as triples or as one line per query', () => {
    const q = parseQrelsJsonl('{"query_id":"a","doc_id":"x","relevance":3}\n{"query_id":"b","relevant":{"y":1,"z":2}}\n{"query_id":"c","relevant":["w"]}\n', 'g.jsonl');
    expect(q.get('a')!.get('x')).toBe(3);
    expect(q.get('b')).toEqual(new Map([['y', 1], ['z', 2]]));
    expect(q.get('c')).toEqual(new Map([['w', 1]]));
  });
  it('loadQrels picks the format by extension', () => {
    expect(loadQrels(file('g.jsonl', '{"query_id":"a","doc_id":"x"}\n')).get('a')!.get('x')).toBe(1);
    expect(loadQrels(file('q.tsv', 'a\tx\t2\n')).get('a')!.get('x')).toBe(2);
  });
  it('mistakes name the file and line', () => {
    expect(() => parseQrelsTsv('a\tb\t1\nc\td\n', 'q.tsv')).toThrow(/q\.tsv:2: expected "query-id corpus-id score"/);
    expect(() => parseQrelsTsv('a\tb\t1\nc\td\tgood\n', 'q.tsv')).toThrow(/q\.tsv:2: the grade "good" is not a number/);
    expect(() => parseQrelsTsv('query-id\tcorpus-id\tscore\n', 'q.tsv')).toThrow(/holds no judgements/);
    // only the first line may be a header: bad grades after it are named, not skipped as headers
    expect(() => parseQrelsTsv('query-id\tcorpus-id\tscore\nq1\td1\thigh\nq1\td2\t1\n', 'q.tsv')).toThrow(/q\.tsv:2: the grade "high" is not a number/);
    expect(() => parseQrelsTsv('# judged by hand\n\nq1\td1\thigh\nq1\td2\tlow\nq1\td3\t1\n', 'q.tsv')).toThrow(/q\.tsv:4: the grade "low" is not a number/);
    expect(() => parseQrelsJsonl('{"query_id":"a"}\n', 'g.jsonl')).toThrow(/g\.jsonl:1: needs "doc_id"/);
    expect(() => parseQrelsJsonl('{"query_id":"a","doc_id":"x","relevance":"high"}\n', 'g.jsonl')).toThrow(/must be a number/);
    expect(() => loadQrels(join(tmp, 'missing.tsv'))).toThrow(/no such file/);
  });
});

describe('queries', () => {
  it('BEIR queries.jsonl lines as they are, media queries, a DSL first stage and inline judgements', () => {
    const { queries, qrels } = parseQueries(
      '{"_id":"1","text":"a claim","metadata":{}}\n{"id":"2","image":"shelf.jpg"}\n{"query_id":3,"text":"oat milk","query":{"match":{"title":"milk"}},"relevant":{"p9":2}}\n',
      'q.jsonl',
    );
    expect(queries).toEqual([
      { id: '1', text: 'a claim', image: undefined, video: undefined },
      { id: '2', text: undefined, image: 'shelf.jpg', video: undefined },
      { id: '3', text: 'oat milk', image: undefined, video: undefined, dsl: { match: { title: 'milk' } } },
    ]);
    expect(qrels.get('3')).toEqual(new Map([['p9', 2]]));
  });
  it('mistakes name the file and line', () => {
    expect(() => parseQueries('{"_id":"1"}\n', 'q.jsonl')).toThrow(/q\.jsonl:1: query "1" needs one of "text", "image", "video"/);
    expect(() => parseQueries('{"text":"x"}\n', 'q.jsonl')).toThrow(/q\.jsonl:1: needs an id/);
    expect(() => parseQueries('{"_id":"1","text":"x"}\n{"_id":"1","text":"y"}\n', 'q.jsonl')).toThrow(/q\.jsonl:2: query id "1" appears twice/);
    expect(() => parseQueries('{"_id":"1","text":"x"}\nnot json\n', 'q.jsonl')).toThrow(/q\.jsonl:2: not valid JSON/);
    expect(() => parseQueries('[1]\n', 'q.jsonl')).toThrow(/must be a JSON object/);
    expect(() => parseQueries('\n', 'q.jsonl')).toThrow(/holds no queries/);
  });
  it('judged queries are taken in judgement order (all-zero ones too: they count 0, as in trec_eval); unjudged ones are left out', () => {
    const { queries } = parseQueries('{"_id":"a","text":"x"}\n{"_id":"b","text":"y"}\n{"_id":"c","text":"z"}\n', 'q.jsonl');
    const sel = selectQueries(queries, parseQrelsTsv('c\td\t1\nb\td\t0\na\td\t1\nzz\td\t1\n', 'q.tsv'));
    expect(sel.queries.map((q) => q.id)).toEqual(['c', 'b', 'a']);
    expect(sel.noRelevant).toBe(1);
    expect(sel.missing).toEqual(['zz']);
    expect(selectQueries(queries, undefined, 2).queries.map((q) => q.id)).toEqual(['a', 'b']);
    expect(() => selectQueries(queries, parseQrelsTsv('zz\td\t1\n', 'q.tsv'))).toThrow(/no query of the queries file has a relevant judgement/);
  });
});

describe('the BEIR folder layout (SciFact in ../shared/data)', () => {
  it('finds queries, qrels/test.tsv and the corpus, and selects the same queries as the repo helper', () => {
    const f = beirFiles(join(DATA, 'scifact-beir'));
    const { queries } = loadQueries(f.queries);
    const qrels = loadQrels(f.qrels);
    const sel = selectQueries(queries, qrels, 50);
    // what test/helpers/scifact.ts (npm run eval:rerank) takes: the qrels' query ids in file order
    const helperOrder = [...new Set(readFileSync(f.qrels, 'utf8').trim().split('\n').slice(1).map((l) => l.split('\t')[0]!))];
    const texts = new Map(jsonl<{ _id: string; text: string }>('scifact-beir/queries.jsonl').map((q) => [q._id, q.text]));
    expect(sel.queries.map((q) => q.id)).toEqual(helperOrder.slice(0, 50));
    expect(sel.queries.map((q) => q.text)).toEqual(sel.queries.map((q) => texts.get(q.id)));
    expect(qrels.size).toBe(300);
    expect([...qrels.values()].reduce((s, m) => s + m.size, 0)).toBe(339);
  });
  it('a folder without the layout is refused with what it must hold', () => {
    expect(() => beirFiles(tmp)).toThrow(/no queries\.jsonl \(a BEIR folder holds queries\.jsonl, corpus\.jsonl and qrels\/<split>\.tsv\)/);
    expect(() => beirFiles(join(DATA, 'scifact-beir'), 'dev')).toThrow(/no qrels\/dev\.tsv/);
    expect(() => beirFiles(join(tmp, 'nope'))).toThrow(/not a folder/);
  });
});

describe('runs and collections (--api)', () => {
  it('a TREC run, ordered by score per query; a three-column run', () => {
    const r = parseRun('q1 Q0 d2 2 0.5 bm25\nq1 Q0 d1 1 0.9 bm25\nq2 Q0 d3 1 1.0 bm25\n', 'run');
    expect(r.get('q1')).toEqual(['d1', 'd2']);
    expect(parseRun('qid\tdocid\tscore\nq\ta\t1\nq\tb\t2\n', 'run.tsv').get('q')).toEqual(['b', 'a']);
    expect(() => parseRun('q1 d1\n', 'run')).toThrow(/run:1: expected/);
  });
  it('a run naming a document twice for one query is refused with both lines (it would be reranked twice); another query may name it', () => {
    expect(() => parseRun('q1 Q0 d1 1 0.9 bm25\nq1 Q0 d2 2 0.5 bm25\nq1 Q0 d1 3 0.1 bm25\n', 'run')).toThrow('run:3: query "q1" names document "d1" again (first at line 1)');
    expect(parseRun('q1 d1 0.9\nq2 d1 0.8\n', 'run').get('q2')).toEqual(['d1']);
  });
  it('a BEIR corpus line becomes one passage "title text"; media documents keep their paths', () => {
    const docs = parseCollection('{"_id":"4983","title":"T","text":"Body.","metadata":{}}\n{"id":"p","image":"a.jpg","text":"caption"}\n', 'c.jsonl');
    expect(docs).toEqual([
      { id: '4983', text: 'T Body.', image: undefined, video: undefined },
      { id: 'p', text: 'caption', image: 'a.jpg', video: undefined },
    ]);
    expect(() => parseCollection('{"_id":"x","metadata":{}}\n', 'c.jsonl')).toThrow(/c\.jsonl:1: document "x" needs one of/);
  });
});

describe('judgements given twice (held-out eval probe round)', () => {
  it('the same pair with two grades is refused, naming both lines; the same grade twice is accepted', () => {
    expect(() => parseQrelsTsv('q1\td1\t1\nq2\td1\t1\nq1\td1\t0\n', 'dup.tsv')).toThrow('dup.tsv:3: query "q1" document "d1" is judged 0 here and 1 at dup.tsv:1');
    expect(() => parseQrelsJsonl('{"query_id":"a","doc_id":"x","relevance":2}\n{"query_id":"a","relevant":{"x":1}}\n', 'g.jsonl')).toThrow('g.jsonl:2: query "a" document "x" is judged 1 here and 2 at g.jsonl:1');
    expect(parseQrelsTsv('q1\td1\t1\nq1\td1\t1\n', 'same.tsv').get('q1')).toEqual(new Map([['d1', 1]]));
  });
});

describe('queries judged with no relevant document (held-out eval probe round)', () => {
  it('are evaluated (they count 0, as trec_eval and BEIR count them), in judgement order; unjudged ones are not', () => {
    const qrels = parseQrelsTsv('q1\td1\t1\nq2\td1\t0\nq2\td2\t0\nq3\td3\t2\n', 'z.tsv');
    const sel = selectQueries(['q1', 'q2', 'q3', 'q4'].map((id) => ({ id, text: id })), qrels);
    expect(sel.queries.map((q) => q.id)).toEqual(['q1', 'q2', 'q3']);
    expect(sel.noRelevant).toBe(1);
    expect(sel.unjudged).toBe(1);
  });
  it('judgements with no relevant document at all are still refused', () => {
    expect(() => selectQueries([{ id: 'q1', text: 'x' }], parseQrelsTsv('q1\td1\t0\n', 'z.tsv'))).toThrow('no query of the queries file has a relevant judgement');
  });
});

describe('what the selection leaves out is said (held-out eval probe round)', () => {
  it('queries without judgements, judged ids missing from the queries, judged queries with nothing relevant', () => {
    const qrels = parseQrelsTsv('q1\td1\t1\nq2\td1\t0\nzz\td1\t1\n', 'z.tsv');
    const sel = selectQueries(['q1', 'q2', 'q3', 'q4'].map((id) => ({ id, text: id })), qrels);
    expect(selectionNotes(sel)).toEqual([
      '1 judged query ids are not in the queries file (skipped)',
      '2 queries of the queries file have no judgement: not evaluated (as trec_eval evaluates only judged queries)',
      '1 judged queries have no relevant document: each counts 0 in nDCG, MRR and recall, as trec_eval and BEIR count it',
    ]);
    // a BEIR folder's queries.jsonl holds every split: its other splits' queries are not said
    expect(selectionNotes(sel, { beir: true })).toHaveLength(2);
  });
  it('--fit says it leaves the queries with nothing relevant out (it fits and figures without them), not that they count 0 (round 14c)', () => {
    const sel = selectQueries(['q1', 'q2'].map((id) => ({ id, text: id })), parseQrelsTsv('q1\td1\t1\nq2\td1\t0\n', 'z.tsv'));
    const notes = selectionNotes(sel, { fit: true });
    expect(notes).toEqual(['1 judged queries have no relevant document: --fit leaves them out (nothing to fit on; the evaluation counts each 0, so its figures are lower than these)']);
  });
});
