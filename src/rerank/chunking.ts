/**
 * Long texts in chunks (issue 14 §3): a document text longer than the text model reads (bge-small:
 * 512 tokens) is split into overlapping chunks of whole words, each chunk is embedded as a
 * passage, and the document's text↔text value is an aggregate of the chunks' cosines (the best
 * chunk by default, as Cohere and Elasticsearch's chunk rescorer do), so a relevant passage past
 * the model's window still counts.
 *
 * Chunk 0 is the text itself as the model reads it (cut at the window): its vector is the one the
 * unchunked path already computes and caches, so chunking only adds the vectors of the tail.
 * With `max_tokens` below the window, chunk 0 is its own substring. A chunk after the first starts
 * where a paragraph, else a sentence, begins within the overlap (so a passage is not scored mixed
 * with the end of the one before it, as LangChain's recursive splitter prefers). Spans are
 * character offsets into the original text, so an explanation can name and quote the best chunk.
 *
 * Pure: counts tokens through the given counter, never runs a model and never reads a record.
 */
import { createHash } from 'node:crypto';
import { LRUCache } from 'lru-cache';

export type ChunkAggregate = 'max' | 'mean' | 'max_mean';

/** Chunking as a pipeline or the configuration asks for it (snake_case like the pipeline YAML). */
export interface ChunkingSettings {
  /** Tokens per chunk, special tokens included; capped at the model's window. */
  max_tokens?: number;
  /** Tokens two consecutive chunks share. */
  overlap: number;
  /** How chunk cosines become the document's raw text↔text value. */
  aggregate: ChunkAggregate;
  /** Chunks of one text read at most (default MAX_CHUNKS); the text past the last is not read. */
  max_chunks?: number;
}

/** The defaults measured on SciFact (see models/CALIBRATION.md, "Long documents"). */
export const DEFAULT_CHUNKING: Required<ChunkingSettings> = { max_tokens: 512, overlap: 128, aggregate: 'max', max_chunks: 32 };

/**
 * At most this many chunks of one text are read: the text past the last is not (the explanation
 * says where it stopped, `detail.read_to`). Each chunk is one model run at ingest or search, and
 * nothing bounded them (held-out probe round 28b): a product with 10,000 tags made 94 chunks —
 * 23.8 s for one `_doc` on a loaded 2-core machine and a 100 KB record — and, behind a pipeline
 * without records, every search it was a candidate of ran out of its 5 s budget (the whole page
 * in first-stage order, `degraded: timeout`). 32 chunks of 512 tokens with 128 shared read ~12,000
 * tokens (~9,000 words); SciFact's longest abstract makes 5. A pipeline may ask fewer or more
 * (`chunking.max_chunks`, 1–256): fewer bound a cold search without records tighter.
 */
export const MAX_CHUNKS = DEFAULT_CHUNKING.max_chunks;

/** Character offsets of one chunk in its text, end exclusive. */
export interface ChunkSpan {
  start: number;
  end: number;
}

export interface TokenCounter {
  /** Largest input in tokens, special tokens included. */
  readonly maxTokens: number;
  /** Tokens of a text, special tokens included. */
  countTokens(text: string): number;
}

/** A text encoder as a token counter, when it counts (chunking and `truncateToTokens` need one). */
export function counterOf(text: { readonly maxTokens: number; countTokens?(text: string): number }): TokenCounter | undefined {
  const count = text.countTokens?.bind(text);
  return count ? { maxTokens: text.maxTokens, countTokens: count } : undefined;
}

/** Settings with the window applied: what keys a record's chunks (max_tokens, overlap) and what scores (aggregate). */
export interface ResolvedChunking {
  maxTokens: number;
  overlap: number;
  aggregate: ChunkAggregate;
  /** Chunks of one text read at most. */
  maxChunks: number;
  /** Chunk 0 is the whole text (the model cuts it at its window) rather than its own substring. */
  firstIsWhole: boolean;
}

export function resolveChunking(s: ChunkingSettings | false | undefined, window: number): ResolvedChunking | undefined {
  if (!s) return undefined;
  const maxTokens = Math.min(s.max_tokens ?? window, window);
  return { maxTokens, overlap: Math.min(s.overlap, Math.floor(maxTokens / 2)), aggregate: s.aggregate, maxChunks: s.max_chunks ?? MAX_CHUNKS, firstIsWhole: maxTokens >= window };
}

/**
 * What of the settings the stored chunks depend on (part of the record key). `max_chunks` only when
 * it is not the default, so records written with the default keep their key (one written before
 * the bound is read to the same point: stages/sides.ts).
 */
export function chunkingKey(c: ResolvedChunking): { max_tokens: number; overlap: number; max_chunks?: number } {
  return { max_tokens: c.maxTokens, overlap: c.overlap, ...(c.maxChunks !== MAX_CHUNKS ? { max_chunks: c.maxChunks } : {}) };
}

const memo = new LRUCache<string, ChunkSpan[]>({ max: 20_000 });

/**
 * The chunk spans of a text, or undefined when it fits in one chunk. Words (runs of non-space)
 * are never split; a word longer than a chunk becomes a chunk of its own (the model cuts it).
 */
export function chunkSpans(text: string, c: ResolvedChunking, counter: TokenCounter): ChunkSpan[] | undefined {
  const special = counter.countTokens('');
  const budget = c.maxTokens - special;
  // every token covers at least one character: a text this short fits without tokenising
  if (text.length <= budget) return undefined;
  const key = createHash('sha1').update(`${c.maxTokens}|${c.overlap}|${c.maxChunks}|${text}`).digest('base64url');
  const hit = memo.get(key);
  if (hit) return hit.length ? hit : undefined;
  const spans = split(text, c, counter, special, budget);
  memo.set(key, spans ?? []);
  return spans;
}

function split(text: string, c: ResolvedChunking, counter: TokenCounter, special: number, budget: number): ChunkSpan[] | undefined {
  if (counter.countTokens(text) <= c.maxTokens) return undefined;
  const words: Array<{ start: number; end: number; n: number }> = [];
  const counts = new Map<string, number>();
  for (const m of text.matchAll(/\S+/g)) {
    const w = m[0];
    let n = counts.get(w);
    if (n === undefined) counts.set(w, (n = Math.max(1, counter.countTokens(w) - special)));
    words.push({ start: m.index, end: m.index + w.length, n });
  }
  const spans: ChunkSpan[] = [];
  let i = 0;
  while (i < words.length && spans.length < c.maxChunks) {
    let j = i;
    let used = 0;
    while (j < words.length && (j === i || used + words[j]!.n <= budget)) used += words[j++]!.n;
    spans.push({ start: words[i]!.start, end: words[j - 1]!.end });
    if (j >= words.length) break;
    // the next chunk starts at most `overlap` tokens before this one ends, always at least one word
    // later: at the first paragraph, else sentence, that begins in that stretch, else `overlap` back
    let k = j;
    let back = 0;
    while (k - 1 > i && back + words[k - 1]!.n <= c.overlap) back += words[--k]!.n;
    i = boundaryIn(text, words, k, j, /\n\s*\n/) ?? boundaryIn(text, words, k, j, /[.!?]["')\]]*\s+$/) ?? k;
  }
  if (spans.length < 2) return undefined;
  if (c.firstIsWhole) spans[0] = { start: 0, end: spans[0]!.end };
  return spans;
}

/** The first word of words[from, to) that `before` (the text between it and the word before) says begins a paragraph or a sentence. */
function boundaryIn(text: string, words: ReadonlyArray<{ start: number; end: number }>, from: number, to: number, before: RegExp): number | undefined {
  for (let k = Math.max(1, from); k < to; k++) if (before.test(text.slice(Math.max(words[k - 1]!.start, words[k - 1]!.end - 3), words[k]!.start))) return k;
  return undefined;
}

/**
 * A text cut to its first `maxTokens` tokens (special tokens included), at a word boundary — the
 * words of what would be its first chunk of that size; unchanged when it fits, or when the cap is
 * the model's window or more (the model cuts it there itself). Cohere's `max_tokens_per_doc`.
 * Tokenises at most `prefixChars` characters of it (a bound the caller derives from the cap).
 */
export function truncateToTokens(text: string, maxTokens: number, counter: TokenCounter, prefixChars: number): string {
  if (maxTokens >= counter.maxTokens) return text;
  const prefix = text.length > prefixChars ? text.slice(0, prefixChars) : text;
  const spans = chunkSpans(prefix, { maxTokens, overlap: 0, aggregate: 'max', maxChunks: 2, firstIsWhole: false }, counter);
  return spans ? prefix.slice(spans[0]!.start, spans[0]!.end) : prefix;
}

/** The texts to embed for a chunked text: chunk 0 (the whole text when the model cuts it), then each chunk's substring. */
export function chunkTexts(text: string, spans: ChunkSpan[], c: ResolvedChunking): string[] {
  return spans.map((s, i) => (i === 0 && c.firstIsWhole ? text : text.slice(s.start, s.end)));
}

/** The document's raw value from its chunks' values, and the best chunk. */
export function aggregateChunks(values: number[], how: ChunkAggregate): { raw: number; best: number } {
  let best = 0;
  for (let i = 1; i < values.length; i++) if (values[i]! > values[best]!) best = i;
  const max = values[best]!;
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  const raw = how === 'max' ? max : how === 'mean' ? mean : (max + mean) / 2;
  return { raw, best };
}

/** A short quote of a chunk for explanations: its first words, at most `chars` characters. */
export function excerpt(text: string, span: ChunkSpan, chars = 160): string {
  const s = text.slice(span.start, span.end);
  if (s.length <= chars) return s;
  const cut = s.lastIndexOf(' ', chars);
  return `${s.slice(0, cut > chars / 2 ? cut : chars)}…`;
}

/** The configuration's `rerank.chunking` (camelCase, like every config key) as reranker settings. */
export function chunkingFromConfig(c: false | { maxTokens?: number; overlap: number; aggregate: ChunkAggregate; maxChunks?: number }): ChunkingSettings | false {
  return c === false ? false : { ...(c.maxTokens !== undefined ? { max_tokens: c.maxTokens } : {}), overlap: c.overlap, aggregate: c.aggregate, ...(c.maxChunks !== undefined ? { max_chunks: c.maxChunks } : {}) };
}
