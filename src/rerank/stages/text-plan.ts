/**
 * Stage 3, the text plan: every text this request needs a vector for — the query, document texts
 * (as passages against a text query, on the query side against an image or video query), each
 * image's and frame's visual passage, OCR text — gathered into two lists and embedded in two
 * batched calls (query side, passage side) made together, cache first. The order texts are listed in is the
 * order they reach the model's queue, so it is kept stable.
 */
import type { VisualFeatures } from '../../features/records.js';
import type { TextVectorsResult } from '../../features/text-vectors.js';
import type { TextVectorsPort } from '../ports.js';
import type { ConceptBank } from '../signals/concept-bank.js';
import type { VisualText, VisualTextMemo } from '../visual-text.js';
import type { DocumentMedia } from './media.js';
import type { RequestPlan } from './request.js';
import type { StoredDocument } from '../records/use.js';
import { chunkSpans, chunkTexts, type ChunkSpan, type TokenCounter } from '../chunking.js';

/** One image's or frame's visual text, with the index of its passage in `passageTexts`. */
export type VisualEntry = VisualText & { idx: number };

/** Indices into the plan's lists (-1: not needed); an empty object when the local backend does not run. */
export interface DocumentTexts {
  /** The document text as a passage (text query). */
  textP?: number;
  /** The document text on the query side (image / video query). */
  textQ?: number;
  image?: VisualEntry[];
  video?: VisualEntry[];
  /** The OCR text of the document image, as a passage. */
  ocr?: number;
  /** A text longer than the window, in chunks: their spans and the passages of those after the first (or all, see chunking.ts). */
  chunks?: { spans: ChunkSpan[]; idx: number[] };
}

export interface TextPlan {
  queryTexts: string[];
  passageTexts: string[];
  /** Index of the query text in `queryTexts` (-1: none). */
  queryText: number;
  /** The query image's / frames' visual texts (image or video query against text documents). */
  queryVisual?: VisualEntry[];
  /** Index in `passageTexts` of the query photo's OCR text (`image_ocr_text`), when it has any. */
  queryOcr?: number;
  documents: DocumentTexts[];
}

export interface PlannedVectors {
  query?: TextVectorsResult;
  passage?: TextVectorsResult;
}

export function planTexts(
  p: RequestPlan,
  queryFrames: VisualFeatures[] | undefined,
  docs: DocumentMedia[],
  bank: ConceptBank | undefined,
  visual: VisualTextMemo,
  classNames: string[],
  stored: ReadonlyArray<StoredDocument | undefined> = [],
  counter?: TokenCounter,
): TextPlan {
  const { req, useLocal, qHasText, qHasVisual, anyDocText, ocr } = p;
  const queryTexts: string[] = [];
  const passageTexts: string[] = [];
  const qi = (t: string) => queryTexts.push(t) - 1;
  const pi = (t: string) => passageTexts.push(t) - 1;
  const visualPlan = (frames: VisualFeatures[]): VisualEntry[] =>
    frames.map((f) => {
      const v = visual.of(f, bank!, classNames);
      return { idx: pi(v.passage), ...v };
    });
  const queryText = useLocal && qHasText ? qi(req.query.text!) : -1;
  const queryVisual = useLocal && queryFrames && anyDocText && bank ? visualPlan(queryFrames) : undefined;
  const ocrLines = p.queryOcr ? queryFrames?.[0]?.ocr : undefined;
  const queryOcr = ocrLines && ocrLines.length > 0 ? pi(ocrLines.join('\n')) : undefined;
  const documents = req.documents.map((d, i): DocumentTexts => {
    const f = docs[i];
    const st = stored[i];
    // a document whose image or video could not be read is still scored on its text
    if (!useLocal) return {};
    // vectors a usable feature record holds are not planned (sides.ts takes them from the record)
    const c = p.chunking;
    const spans = c && counter && d.text !== undefined && !st?.text?.chunks ? chunkSpans(d.text, c, counter) : undefined;
    return {
      ...(spans ? { chunks: { spans, idx: chunkTexts(d.text!, spans, c!).slice(c!.firstIsWhole ? 1 : 0).map(pi) } } : {}),
      textP: qHasText && d.text !== undefined && !st?.text?.passage ? pi(d.text) : -1,
      textQ: qHasVisual && d.text !== undefined && !st?.text?.query ? qi(d.text) : -1,
      image: qHasText && f?.image && bank ? visualPlan([f.image]) : undefined,
      video: qHasText && f?.video && bank ? visualPlan(f.video.frames) : undefined,
      ocr: ocr && f?.image?.ocr && f.image.ocr.length > 0 ? pi(f.image.ocr.join('\n')) : -1,
    };
  });
  return { queryTexts, passageTexts, queryText, queryVisual, ...(queryOcr !== undefined ? { queryOcr } : {}), documents };
}

/**
 * The query text's vector, asked for before the media stage (undefined when no local text query):
 * on a warm request its forward pass is the one model run left, so it overlaps the media lookups
 * (a stat() per local photo, the store's reads) instead of following them. `askTexts` takes it
 * as the plan's query text (always the first of `queryTexts`). A failure is left for `askTexts`' awaiter
 * to see: nothing is lost when the request ends before (a media error, an abort).
 */
export function prefetchQueryText(p: RequestPlan, vectors: TextVectorsPort, signal: AbortSignal | undefined): Promise<TextVectorsResult> | undefined {
  if (!p.useLocal || !p.qHasText) return undefined;
  const early = vectors.vectors([p.req.query.text!], 'query', signal);
  early.catch(() => undefined); // handled where it is awaited; not an unhandled rejection when the request ends first
  return early;
}

/**
 * Both lists' vectors asked for together, each list's promise apart: on a warm request the
 * passages (cached) come long before the query's forward pass, and the documents' sides can be
 * built meanwhile. A rejection of either is left for its awaiter (never unhandled).
 */
export function askTexts(plan: TextPlan, vectors: TextVectorsPort, signal: AbortSignal | undefined, early?: Promise<TextVectorsResult>): { query: Promise<TextVectorsResult | undefined>; passage: Promise<TextVectorsResult | undefined> } {
  const query = queryVectors(plan, vectors, signal, early);
  const passage = plan.passageTexts.length ? vectors.vectors(plan.passageTexts, 'passage', signal) : Promise.resolve(undefined);
  query.catch(() => undefined);
  passage.catch(() => undefined);
  return { query, passage };
}

/**
 * Whether the documents' sides need the query-side list: only a document text compared with an
 * image or video query is embedded on the query side. Otherwise that list is the query text alone,
 * and every document side can be built from the passages before the query's vector arrives.
 */
export function documentsNeedQueryList(plan: TextPlan): boolean {
  return plan.documents.some((d) => d.textQ !== undefined && d.textQ >= 0);
}

async function queryVectors(plan: TextPlan, vectors: TextVectorsPort, signal: AbortSignal | undefined, early: Promise<TextVectorsResult> | undefined): Promise<TextVectorsResult | undefined> {
  if (!plan.queryTexts.length) return undefined;
  if (!early || plan.queryText !== 0) return vectors.vectors(plan.queryTexts, 'query', signal);
  const rest = plan.queryTexts.slice(1);
  const [q, r] = await Promise.all([early, rest.length ? vectors.vectors(rest, 'query', signal) : undefined]);
  if (!r) return q;
  return { vectors: [...q.vectors, ...r.vectors], hit: [...q.hit, ...r.hit], source: [...q.source, ...r.source], hits: q.hits + r.hits, misses: q.misses + r.misses, tokens: q.tokens + r.tokens };
}

/**
 * The warning a query text longer than the text model reads gets: its end was cut silently — a
 * 600-token question whose last words were its point was ranked on its first 512 with nothing said
 * (held-out probe round 31a; Cohere reads 2,048 query tokens). Tokenised only when it has more
 * characters than the window holds tokens (a character is at most one token); the tokenizer reads a
 * bounded prefix of a huge text (models/tokenizer.ts), so the count is then "more than".
 */
export function queryTextCut(plan: TextPlan, text: { readonly maxTokens: number; countTokens?(text: string): number }): string | undefined {
  const t = plan.queryText >= 0 ? plan.queryTexts[plan.queryText] : undefined;
  if (t === undefined || !text.countTokens || !text.maxTokens || t.length + 2 <= text.maxTokens) return undefined;
  const n = text.countTokens(t);
  return n > text.maxTokens ? `the query text is ${n} tokens or more: the text model reads its first ${text.maxTokens}, the rest is not scored` : undefined;
}
