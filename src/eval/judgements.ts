/**
 * Loaders of what `vlrerank eval` measures against: queries (JSONL), judgements (BEIR/TREC qrels
 * TSV or graded JSONL), a BEIR folder (queries.jsonl + qrels/<split>.tsv + corpus.jsonl), a
 * first-stage run (TREC run file) and a JSONL collection for `--api`.
 *
 * Every mistake in a file is a VLR_BAD_REQUEST / VLR_PARSE naming the file and line, never a crash
 * or a silently empty evaluation. Reads files only; never talks to an engine or a model.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { vlrError } from '../errors.js';
import { hasRelevant } from './metrics.js';
import { utf8FileText } from '../util/text-file.js';

export interface EvalQuery {
  id: string;
  text?: string;
  image?: string;
  video?: string;
  /** A first-stage search query of the user's own (Elasticsearch query DSL), kept as the first stage. */
  dsl?: Record<string, unknown>;
}

/** query id → (doc id → grade) */
export type Qrels = Map<string, Map<string, number>>;

export interface CollectionDoc {
  id: string;
  text?: string;
  image?: string;
  video?: string;
}

function readText(file: string, what: string): string {
  if (!existsSync(file)) throw vlrError('VLR_BAD_REQUEST', `${what} ${file}: no such file`);
  if (!statSync(file).isFile()) throw vlrError('VLR_BAD_REQUEST', `${what} ${file}: not a file`);
  return utf8FileText(readFileSync(file), `${what} ${file}`);
}

function jsonLines(text: string, file: string): Array<{ line: number; value: Record<string, unknown> }> {
  const out: Array<{ line: number; value: Record<string, unknown> }> = [];
  text.split('\n').forEach((raw, i) => {
    const l = raw.trim();
    if (!l) return;
    let v: unknown;
    try {
      v = JSON.parse(l);
    } catch (e) {
      throw vlrError('VLR_PARSE', `${file}:${i + 1}: not valid JSON: ${(e as Error).message}`);
    }
    if (!v || typeof v !== 'object' || Array.isArray(v)) throw vlrError('VLR_BAD_REQUEST', `${file}:${i + 1}: each line must be a JSON object`);
    out.push({ line: i + 1, value: v as Record<string, unknown> });
  });
  return out;
}

/**
 * An id given as a JSON number past 2^53 (a database's int64, a tweet id) is rounded by every JSON
 * reader: `{"_id": 1234567890123456789}` became "1234567890123456800", matching nothing in the
 * judgements or the index, the figures low without a word (held-out probe round 14c) — refused.
 */
const idOf = (v: Record<string, unknown>, keys: string[], where: string): string | undefined => {
  for (const k of keys) {
    const x = v[k];
    if (typeof x === 'string' && x !== '') return x;
    if (typeof x === 'number' && Number.isInteger(x) && !Number.isSafeInteger(x)) throw vlrError('VLR_BAD_REQUEST', `${where}: "${k}" is a number past 2^53, which JSON readers round (read as ${String(x)}): write the id as a string`);
    if (typeof x === 'number' && Number.isFinite(x)) return String(x);
  }
  return undefined;
};

const str = (v: unknown, where: string): string | undefined => {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string' || !v.trim()) throw vlrError('VLR_BAD_REQUEST', `${where} must be a non-empty string`);
  return v;
};

/**
 * Queries JSONL: `{"_id"|"id"|"query_id", "text"?, "image"?, "video"?, "query"?: {…DSL}}` per line
 * (BEIR's queries.jsonl as it is). A line may also carry its judgements as `"relevant": {doc: grade}`
 * or `["doc", …]` (grade 1); those are returned as qrels.
 */
export function parseQueries(text: string, file: string): { queries: EvalQuery[]; qrels: Qrels } {
  const queries: EvalQuery[] = [];
  const qrels: Qrels = new Map();
  const seen = new Set<string>();
  for (const { line, value: v } of jsonLines(text, file)) {
    const where = `${file}:${line}`;
    const id = idOf(v, ['_id', 'id', 'query_id', 'qid'], where);
    if (!id) throw vlrError('VLR_BAD_REQUEST', `${where}: needs an id ("_id", "id" or "query_id")`);
    if (seen.has(id)) throw vlrError('VLR_BAD_REQUEST', `${where}: query id "${id}" appears twice`);
    seen.add(id);
    const q: EvalQuery = { id, text: str(v.text, `${where}: "text"`), image: str(v.image, `${where}: "image"`), video: str(v.video, `${where}: "video"`) };
    if (v.query !== undefined) {
      if (!v.query || typeof v.query !== 'object' || Array.isArray(v.query)) throw vlrError('VLR_BAD_REQUEST', `${where}: "query" must be a query DSL object`);
      q.dsl = v.query as Record<string, unknown>;
    }
    if (!q.text && !q.image && !q.video) throw vlrError('VLR_BAD_REQUEST', `${where}: query "${id}" needs one of "text", "image", "video"`);
    queries.push(q);
    if (v.relevant !== undefined) qrels.set(id, gradesOf(v.relevant, `${where}: "relevant"`));
  }
  if (!queries.length) throw vlrError('VLR_BAD_REQUEST', `${file} holds no queries`);
  return { queries, qrels };
}

function gradesOf(v: unknown, where: string): Map<string, number> {
  const m = new Map<string, number>();
  if (Array.isArray(v)) {
    for (const id of v) {
      if (typeof id !== 'string' && typeof id !== 'number') throw vlrError('VLR_BAD_REQUEST', `${where} must list document ids`);
      if (typeof id === 'number' && Number.isInteger(id) && !Number.isSafeInteger(id)) throw vlrError('VLR_BAD_REQUEST', `${where}: the id ${String(id)} is a number past 2^53, which JSON readers round: write it as a string`);
      m.set(String(id), 1);
    }
  } else if (v && typeof v === 'object') {
    for (const [id, g] of Object.entries(v)) {
      if (typeof g !== 'number' || !Number.isFinite(g)) throw vlrError('VLR_BAD_REQUEST', `${where}: the grade of "${id}" must be a number`);
      m.set(id, g);
    }
  } else throw vlrError('VLR_BAD_REQUEST', `${where} must be an object {doc: grade} or a list of doc ids`);
  return m;
}

/**
 * One judgement into `q`. The same (query, document) judged twice with different grades is refused,
 * naming both lines: the later line silently replaced the earlier (held-out eval probe round), so a
 * `1` followed by a stray `0` took the query out of the evaluation without a word. The same grade
 * twice is accepted (a file concatenated from overlapping parts).
 */
function add(q: Qrels, qid: string, did: string, g: number, where: string, seenAt: Map<string, string>): void {
  if (!q.has(qid)) q.set(qid, new Map());
  const m = q.get(qid)!;
  const before = m.get(did);
  const key = `${qid}\u0000${did}`;
  if (before !== undefined && before !== g) throw vlrError('VLR_BAD_REQUEST', `${where}: query "${qid}" document "${did}" is judged ${g} here and ${before} at ${seenAt.get(key)}: one grade per pair`);
  if (before === undefined) seenAt.set(key, where);
  m.set(did, g);
}

/**
 * The columns of a qrels or run line: split at tabs when it has any (BEIR's TSV), else at runs of
 * whitespace (TREC's). A tab-separated id holding a space (`claim 12`, `doc a`) was two columns:
 * three BEIR columns became four, read as TREC's `qid iter docid rel` — the judgement landed on
 * another query and document without a word (held-out probe round 14c).
 */
const columns = (line: string): string[] => (line.includes('\t') ? line.split('\t').map((s) => s.trim()).filter(Boolean) : line.split(/\s+/));

/**
 * Qrels as TSV/whitespace: BEIR's `query-id  corpus-id  score` (header optional) or TREC's
 * `qid  iter  docid  rel`. The order of first appearance is kept (it orders the evaluated queries).
 */
export function parseQrelsTsv(text: string, file: string): Qrels {
  const q: Qrels = new Map();
  const seenAt = new Map<string, string>();
  let first = true;
  text.split('\n').forEach((raw, i) => {
    const l = raw.trim();
    if (!l || l.startsWith('#')) return;
    // only the first line can be a header: every line with a bad grade before the first good one
    // was skipped as one, the judgements it held lost silently (held-out probe round 6)
    const header = first;
    first = false;
    const c = columns(l);
    const where = `${file}:${i + 1}`;
    if (c.length !== 3 && c.length !== 4) throw vlrError('VLR_BAD_REQUEST', `${where}: expected "query-id corpus-id score" (BEIR) or "qid iter docid rel" (TREC), got ${c.length} columns`);
    const [qid, did, g] = c.length === 3 ? [c[0]!, c[1]!, c[2]!] : [c[0]!, c[2]!, c[3]!];
    if (!/^-?\d+(\.\d+)?$/.test(g)) {
      if (header) return; // a header line
      throw vlrError('VLR_BAD_REQUEST', `${where}: the grade "${g}" is not a number`);
    }
    add(q, qid, did, Number(g), where, seenAt);
  });
  if (!q.size) throw vlrError('VLR_BAD_REQUEST', `${file} holds no judgements`);
  return q;
}

/** Graded JSONL: `{"query_id", "doc_id"|"corpus_id", "relevance"|"score"|"grade"}` or `{"query_id", "relevant": {…}}` per line. */
export function parseQrelsJsonl(text: string, file: string): Qrels {
  const q: Qrels = new Map();
  const seenAt = new Map<string, string>();
  for (const { line, value: v } of jsonLines(text, file)) {
    const where = `${file}:${line}`;
    const qid = idOf(v, ['query_id', 'query-id', 'qid', '_id', 'id'], where);
    if (!qid) throw vlrError('VLR_BAD_REQUEST', `${where}: needs "query_id"`);
    if (v.relevant !== undefined) {
      for (const [d, g] of gradesOf(v.relevant, `${where}: "relevant"`)) add(q, qid, d, g, where, seenAt);
      continue;
    }
    const did = idOf(v, ['doc_id', 'corpus_id', 'corpus-id', 'docid'], where);
    if (!did) throw vlrError('VLR_BAD_REQUEST', `${where}: needs "doc_id" (or "relevant")`);
    const g = v.relevance ?? v.score ?? v.grade ?? 1;
    if (typeof g !== 'number' || !Number.isFinite(g)) throw vlrError('VLR_BAD_REQUEST', `${where}: "relevance" must be a number`);
    add(q, qid, did, g, where, seenAt);
  }
  if (!q.size) throw vlrError('VLR_BAD_REQUEST', `${file} holds no judgements`);
  return q;
}

export function loadQueries(file: string): { queries: EvalQuery[]; qrels: Qrels } {
  return parseQueries(readText(file, 'queries'), file);
}

export function loadQrels(file: string): Qrels {
  const text = readText(file, 'qrels');
  return /\.jsonl?$/i.test(file) ? parseQrelsJsonl(text, file) : parseQrelsTsv(text, file);
}

/** A BEIR folder: `queries.jsonl`, `qrels/<split>.tsv`, `corpus.jsonl` (the corpus only for --api). */
export function beirFiles(folder: string, split = 'test'): { queries: string; qrels: string; corpus: string } {
  if (!existsSync(folder) || !statSync(folder).isDirectory()) throw vlrError('VLR_BAD_REQUEST', `--beir ${folder}: not a folder`);
  const f = { queries: join(folder, 'queries.jsonl'), qrels: join(folder, 'qrels', `${split}.tsv`), corpus: join(folder, 'corpus.jsonl') };
  for (const k of ['queries', 'qrels'] as const) if (!existsSync(f[k])) throw vlrError('VLR_BAD_REQUEST', `--beir ${folder}: no ${k === 'qrels' ? `qrels/${split}.tsv` : 'queries.jsonl'} (a BEIR folder holds queries.jsonl, corpus.jsonl and qrels/<split>.tsv)`);
  return f;
}

/**
 * The queries to evaluate: with judgements, the judged queries in the order the judgements name them
 * — so `--limit 50` on a BEIR folder takes the same 50 as the repo's eval scripts; without, every
 * query in file order. A query judged with no relevant document (every grade ≤ 0) is evaluated and
 * counts 0, as trec_eval and pytrec_eval (hence BEIR) count it; it used to be left out without a
 * word (held-out eval probe round), which raised the means. A query without any judgement is not
 * evaluated (trec_eval's intersection of run and judgements).
 */
export function selectQueries(queries: EvalQuery[], qrels: Qrels | undefined, limit?: number): { queries: EvalQuery[]; unjudged: number; missing: string[]; noRelevant: number } {
  let out = queries;
  let unjudged = 0;
  const missing: string[] = [];
  if (qrels && qrels.size) {
    const byId = new Map(queries.map((q) => [q.id, q]));
    out = [];
    for (const qid of qrels.keys()) {
      const q = byId.get(qid);
      if (q) out.push(q);
      else missing.push(qid);
    }
    unjudged = queries.filter((q) => !qrels.has(q.id)).length;
    if (!out.some((q) => hasRelevant(qrels.get(q.id)))) throw vlrError('VLR_BAD_REQUEST', 'no query of the queries file has a relevant judgement (do the query ids of the queries and the judgements match?)');
  }
  const picked = limit !== undefined ? out.slice(0, limit) : out;
  const noRelevant = qrels && qrels.size ? picked.filter((q) => !hasRelevant(qrels.get(q.id))).length : 0;
  return { queries: picked, unjudged, missing, noRelevant };
}

/**
 * What the selection of judged queries left out or counts as 0, said in the figures' notes. Queries
 * of the queries file without any judgement were left out without a word (held-out eval probe round):
 * 1,000 queries and judgements for 300 evaluated 300.
 */
export function selectionNotes(sel: { unjudged: number; missing: string[]; noRelevant: number }, o: { beir?: boolean; fit?: boolean } = {}): string[] {
  return [
    ...(sel.missing.length ? [`${sel.missing.length} judged query ids are not in the queries file (skipped)`] : []),
    // a BEIR folder's queries.jsonl holds every split's queries: the other splits' are not news
    ...(sel.unjudged && !o.beir ? [`${sel.unjudged} queries of the queries file have no judgement: not evaluated (as trec_eval evaluates only judged queries)`] : []),
    // --fit searches and fits the queries with a relevant document only: "each counts 0" was untrue of its figures (round 14c)
    ...(sel.noRelevant && o.fit ? [`${sel.noRelevant} judged queries have no relevant document: --fit leaves them out (nothing to fit on; the evaluation counts each 0, so its figures are lower than these)`] : []),
    ...(sel.noRelevant && !o.fit ? [`${sel.noRelevant} judged queries have no relevant document: each counts 0 in nDCG, MRR and recall, as trec_eval and BEIR count it`] : []),
  ];
}

/**
 * A first-stage run for --api: TREC `qid Q0 docid rank score tag`, or `qid docid score`; ordered per
 * query as trec_eval orders it — by score (desc), tied scores by document id, descending (strcmp) —
 * and not by line or rank column: a run whose tied candidates were listed relevant-first gave a first
 * stage of nDCG@10 1.000 where trec_eval (pytrec_eval) says 0.450 of the same file (held-out probe
 * round 14c). `tied` names the queries whose candidates tie.
 */
export function parseRunTies(text: string, file: string): { run: Map<string, string[]>; tied: string[] } {
  const rows = new Map<string, Array<{ id: string; s: number }>>();
  const seen = new Map<string, number>();
  let n = 0;
  text.split('\n').forEach((raw, i) => {
    const l = raw.trim();
    if (!l || l.startsWith('#')) return;
    const c = columns(l);
    let row: [string, string, string];
    if (c.length === 6) row = [c[0]!, c[2]!, c[4]!];
    else if (c.length === 3) row = [c[0]!, c[1]!, c[2]!];
    else throw vlrError('VLR_BAD_REQUEST', `${file}:${i + 1}: expected "qid Q0 docid rank score tag" (TREC run) or "qid docid score"`);
    if (!Number.isFinite(Number(row[2]))) {
      if (n === 0) return; // header
      throw vlrError('VLR_BAD_REQUEST', `${file}:${i + 1}: the score "${row[2]}" is not a number`);
    }
    if (!rows.has(row[0])) rows.set(row[0], []);
    // a document listed twice for one query would be reranked twice (trec_eval refuses such a run too)
    const again = seen.get(`${row[0]}\u0000${row[1]}`);
    if (again) throw vlrError('VLR_BAD_REQUEST', `${file}:${i + 1}: query "${row[0]}" names document "${row[1]}" again (first at line ${again}): list each document once per query`);
    seen.set(`${row[0]}\u0000${row[1]}`, i + 1);
    rows.get(row[0])!.push({ id: row[1], s: Number(row[2]) });
    n++;
  });
  if (!rows.size) throw vlrError('VLR_BAD_REQUEST', `${file} holds no run lines`);
  const tied = [...rows].filter(([, r]) => new Set(r.map((x) => x.s)).size < r.length).map(([q]) => q);
  return { run: new Map([...rows].map(([q, r]) => [q, r.sort((a, b) => b.s - a.s || Buffer.compare(Buffer.from(b.id), Buffer.from(a.id))).map((x) => x.id)])), tied };
}

export const parseRun = (text: string, file: string): Map<string, string[]> => parseRunTies(text, file).run;

export function loadRun(file: string): { run: Map<string, string[]>; tied: string[] } {
  return parseRunTies(readText(file, 'candidates'), file);
}

/** The note for a run with tied scores: the order eval read them in. */
export function tiesNote(tied: string[], file: string): string[] {
  return tied.length ? [`${file}: tied scores in ${tied.length} queries (e.g. ${tied.slice(0, 3).map((q) => `"${q}"`).join(', ')}): tied candidates are ordered as trec_eval orders them, by document id descending — not by line or rank column`] : [];
}

/**
 * A JSONL collection for --api: `{"_id"|"id", "text"?, "title"?, "image"?, "video"?}`; a BEIR
 * corpus line's title and text become one passage "title text" (as the repo's SciFact helper does).
 */
export function parseCollection(text: string, file: string): CollectionDoc[] {
  const seen = new Set<string>();
  return jsonLines(text, file).map(({ line, value: v }) => {
    const where = `${file}:${line}`;
    const id = idOf(v, ['_id', 'id', 'doc_id'], where);
    if (!id) throw vlrError('VLR_BAD_REQUEST', `${where}: needs an id ("_id" or "id")`);
    if (seen.has(id)) throw vlrError('VLR_BAD_REQUEST', `${where}: document id "${id}" appears twice`);
    seen.add(id);
    const title = str(v.title, `${where}: "title"`);
    const body = typeof v.text === 'string' && v.text.trim() ? v.text : undefined;
    const d: CollectionDoc = { id, image: str(v.image, `${where}: "image"`), video: str(v.video, `${where}: "video"`) };
    const t = [title, body].filter(Boolean).join(' ');
    if (t) d.text = t;
    if (!d.text && !d.image && !d.video) throw vlrError('VLR_BAD_REQUEST', `${where}: document "${id}" needs one of "text", "title", "image", "video"`);
    return d;
  });
}

export function loadCollection(file: string): CollectionDoc[] {
  const docs = parseCollection(readText(file, 'collection'), file);
  if (!docs.length) throw vlrError('VLR_BAD_REQUEST', `${file} holds no documents`);
  return docs;
}
