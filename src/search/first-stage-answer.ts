/**
 * The first stage's answer read as the engine wrote it (a stored lone surrogate kept: util/wire-text.ts;
 * a long past 2^53, `-0.0`, `1.0` in a hit's `_source` written back as sent: util/json-tokens.ts).
 *
 * An answer of SMALL_ANSWER bytes or more is read in the JSON worker (util/json-worker.ts), as
 * large request bodies are: UTF-8 decoding, JSON.parse and the token scan of a 7.4 MB answer of 40
 * hits held the main thread 16–20 ms in one piece, 40–90 ms when its `_source` kept a long past 2^53
 * (the scan then builds the token tree), while health and passthrough waited (round 24a's known
 * gap; task ld25). What the main thread keeps is the value's structured clone (~12–16 ms for those
 * 7.4 MB: V8 copies every string) and the binding of the token tree, if any
 * (scripts/bench/answer-parse.ts). Smaller answers are read here as before: below ~1 MB the
 * round trip to the thread cost as much as the parse it saved.
 */
import { bindTokens, sentTokens, type Tokens } from '../util/json-tokens.js';
import type { JsonWorker } from '../util/json-worker.js';
import { engineText } from '../util/wire-text.js';

export type AnswerParser = Pick<JsonWorker, 'parse'>;

/** Answers of this many bytes or more are read in the JSON worker. */
export const SMALL_ANSWER = 1024 * 1024;

/**
 * A hit's string shorter than this comes back with the value, in its structured clone (a copy of
 * its characters); longer ones in pieces, one per turn (json-worker.ts). The worker's default for
 * bodies (64 Ki characters) cost an answer of 40 hits of 180 KiB texts 40 round trips: ×2 the main
 * thread's CPU of a clone in one message (scripts/bench/answer-parse.ts).
 */
export const ANSWER_CUT_CHARS = 1024 * 1024;

/** An answer that is not JSON (`head`: its first 200 bytes, for the caller's error), or that the worker lost (`lost`). */
export class AnswerNotJson extends Error {
  constructor(
    message: string,
    readonly head: string,
    readonly lost = false,
  ) {
    super(message);
  }
}

/**
 * An engine's answer parsed, its tokens bound to the value (`bindTokens`); throws AnswerNotJson.
 * `raw` must own its whole ArrayBuffer (`Buffer.from(arrayBuffer)`): a large one is transferred to
 * the worker, not copied, and must not be read after this call.
 */
export async function readEngineAnswer(raw: Buffer, o: { worker?: AnswerParser; signal?: AbortSignal } = {}): Promise<{ value: unknown; tokens: Tokens | undefined }> {
  const head = () => raw.subarray(0, 200).toString();
  if (raw.length >= SMALL_ANSWER && o.worker) {
    const first = head(); // read before the transfer
    // transferred (no copy of megabytes, no second buffer to collect); given back on a refusal
    const owned = raw.byteOffset === 0 && raw.length === raw.buffer.byteLength;
    const r = await o.worker.parse(raw, { coding: 'identity', maxBytes: raw.length, maxDepth: Number.MAX_SAFE_INTEGER, always: true, tokens: true, cutChars: ANSWER_CUT_CHARS, owned, giveBack: true, signal: o.signal });
    if (r.ok && r.parsed && r.value === undefined) throw new AnswerNotJson('the answer is blank', first); // as JSON.parse('') throws
    if (r.ok && r.parsed) {
      if (r.tokens) bindTokens(r.value, r.tokens);
      return { value: r.value, tokens: r.tokens };
    }
    if (!r.ok && r.kind !== 'worker') throw new AnswerNotJson(r.message, first);
    // the thread closed (the bytes are still here) or died holding them (gone with it)
    const back = r.bytes ?? (raw.length ? raw : undefined);
    if (!back) throw new AnswerNotJson(`the JSON worker failed while reading it: ${r.ok ? 'no value' : r.message}`, first, true);
    raw = back;
  }
  try {
    const text = engineText(raw);
    const value: unknown = JSON.parse(text);
    const tokens = sentTokens(text);
    if (tokens) bindTokens(value, tokens);
    return { value, tokens };
  } catch (e) {
    throw new AnswerNotJson((e as Error).message, head());
  }
}
