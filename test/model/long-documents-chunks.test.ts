/**
 * Long documents in chunks (issue 14 §3), on the real bge-small and real SciFact abstracts: a
 * document whose relevant passage lies past the text model's 512-token window ranks by that
 * passage when chunking is on (and does not when texts are cut at the window); the explanation
 * names the best chunk (index, offsets that cover the passage, an excerpt of it); the feature record
 * carries the chunks and scores as the on-the-fly path does (float16: within 2e-3); a record made
 * without chunking still serves its passage vector and the tail chunks are computed.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { packRecord, unpackRecord, type FeatureRecord } from '../../src/features/record/index.js';
import { decodeVector } from '../../src/features/record/index.js';
import type { Reranker } from '../../src/rerank/reranker.js';
import type { RerankOutput } from '../../src/rerank/types.js';
import { testReranker } from '../helpers/reranker.js';
import { loadScifact } from '../helpers/scifact.js';

const CHUNKING = { overlap: 128, aggregate: 'max' as const };
const sf = loadScifact('test');
/** A judged claim, its relevant abstract, and BM25's best abstracts for it that are not judged relevant. */
function claim(qid: string) {
  const judged = sf.qrels.get(qid)!;
  const query = sf.queries.get(qid)!;
  const relevant = sf.passage(sf.byId.get([...judged.keys()][0]!)!);
  const competitors = sf.bm25(query, 20).filter((id) => !judged.has(id)).slice(0, 6).map((id) => sf.passage(sf.byId.get(id)!));
  return { qid, judged, query, relevant, competitors };
}
let c: ReturnType<typeof claim>;
let long: string;
let filler: string;
let documents: string[];
let LONG: number;
let chunked: Reranker;
let plain: Reranker;
let onTheFly: RerankOutput;

beforeAll(async () => {
  chunked = testReranker({ chunking: CHUNKING });
  plain = testReranker();
  // the first claim whose relevant abstract, on its own, bge ranks above its BM25 competitors
  for (const qid of [...sf.qrels.keys()].slice(0, 20)) {
    const x = claim(qid);
    const alone = await plain.process({ query: x.query, documents: [x.relevant, ...x.competitors] });
    if (alone[0]!.index === 0) {
      c = x;
      break;
    }
  }
  // …then put it behind long abstracts about something else, past the model's window
  filler = [...sf.byId.values()].filter((d) => !c.judged.has(d._id) && d.text.length > 1200).slice(0, 4).map((d) => sf.passage(d)).join('\n\n');
  long = `${filler}\n\n${c.relevant}`;
  documents = [...c.competitors, long];
  LONG = documents.length - 1;
  onTheFly = await chunked.process({ query: c.query, documents, explain: true });
}, 600_000);
afterAll(async () => {
  await chunked?.close();
  await plain?.close();
});

it('the long document is longer than the window and its relevant passage lies past it', async () => {
  const ports = await chunked.ports();
  expect(ports.text.countTokens!(filler)).toBeGreaterThan(ports.text.maxTokens);
  expect(ports.text.countTokens!(long)).toBeGreaterThan(ports.text.maxTokens + 100);
});

it('with chunking the long document ranks by its relevant passage; cut at the window, it does not', { timeout: 300_000 }, async () => {
  const cut = await plain.process({ query: c.query, documents, explain: true });
  expect(onTheFly[0]!.index).toBe(LONG);
  expect(cut[0]!.index).not.toBe(LONG);
  expect(onTheFly.scores[LONG]!).toBeGreaterThan(cut.scores[LONG]! + 0.05);
  // a document within the window is one chunk: its text_text is the plain cosine
  const ports = await chunked.ports();
  for (const r of onTheFly) {
    const within = ports.text.countTokens!(documents[r.index]!) <= ports.text.maxTokens;
    expect(r.explanation!.signals.find((s) => s.name === 'text_text')!.detail?.chunks === undefined).toBe(within);
  }
});

it('the explanation names the best chunk: its index, offsets covering the passage, an excerpt', () => {
  const r = onTheFly.find((x) => x.index === LONG)!;
  const tt = r.explanation!.signals.find((s) => s.name === 'text_text')!;
  const d = tt.detail as { chunks: number; aggregate: string; best_chunk: { index: number; raw: number; start: number; end: number; excerpt: string } };
  expect(d.chunks).toBeGreaterThan(1);
  expect(d.aggregate).toBe('max');
  expect(d.best_chunk.index).toBeGreaterThan(0);
  expect(d.best_chunk.raw).toBeCloseTo(tt.raw, 6);
  const at = long.indexOf(c.relevant);
  // the best chunk holds most of the relevant abstract
  const covered = Math.min(d.best_chunk.end, at + c.relevant.length) - Math.max(d.best_chunk.start, at);
  expect(covered).toBeGreaterThan(c.relevant.length / 2);
  expect(long.slice(d.best_chunk.start, d.best_chunk.end)).toContain(d.best_chunk.excerpt.replace(/…$/, ''));
});

it('the feature record carries the chunks and scores as the on-the-fly path does', { timeout: 300_000 }, async () => {
  const made = await chunked.records(documents.map((text) => ({ text })));
  const records = made.records.map((r) => unpackRecord(packRecord(r)) as FeatureRecord);
  const ch = records[LONG]!.text!.c!;
  const n = ch.o.length / 2;
  expect(n).toBeGreaterThan(1);
  // chunk 0 is the passage vector itself: the record holds the others
  expect(decodeVector(ch.v!).length).toBe((n - 1) * decodeVector(records[LONG]!.text!.p).length);
  // texts within the window: checked, one chunk
  const ports = await chunked.ports();
  const short = documents.findIndex((t) => ports.text.countTokens!(t) <= ports.text.maxTokens);
  expect(short).toBeGreaterThanOrEqual(0);
  expect(records[short]!.text!.c).toEqual({ o: [] });
  const fresh = testReranker({ chunking: CHUNKING });
  try {
    const fromRecords = await fresh.process({ query: c.query, documents, explain: true }, { records });
    expect(fromRecords.usage.records).toEqual({ used: documents.length, rejected: 0 });
    expect(fromRecords.find((x) => x.index === LONG)!.explanation!.features.text).toBe('record');
    // only the query was embedded
    expect(fromRecords.usage.texts).toBe(1);
    onTheFly.scores.forEach((s, i) => expect(Math.abs(s - fromRecords.scores[i]!)).toBeLessThanOrEqual(2e-3));
    expect(fromRecords[0]!.index).toBe(LONG);
  } finally {
    await fresh.close();
  }
});

it('a record made without chunking serves its passage vector; the tail chunks are computed', { timeout: 300_000 }, async () => {
  const made = await plain.records(documents.map((text) => ({ text })));
  expect(made.records[LONG]!.text!.c).toBeUndefined();
  const out = await chunked.process({ query: c.query, documents, explain: true }, { records: made.records });
  expect(out.usage.records).toEqual({ used: documents.length, rejected: 0 });
  expect(out[0]!.index).toBe(LONG);
  expect(Math.abs(out.scores[LONG]! - onTheFly.scores[LONG]!)).toBeLessThanOrEqual(2e-3);
});
