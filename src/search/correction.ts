/**
 * The query as the user meant it, for the reranker (task q25, issue 14): a pipeline with
 * `first_stage.fuzzy` finds a misspelt word's documents, but bge and the bridge do not read the
 * misspelling ("bananna": first stage 1.000, reranked 0.000). The first-stage request carries a
 * `term` suggester per text field (`suggest_mode: missing`, or `popular`); the answer's suggestions
 * give the corrected text the rerank signals encode — no round trip of its own.
 *
 * A word is corrected only when every field's suggester offers a correction for it: under `missing`
 * a field holding the word offers none, so a word any field knows is kept as typed (a clean query is
 * read as before). The best option by the engine's score (then frequency) of all fields replaces the
 * word at the offsets the engine names.
 *
 * Pure: the caller adds the entries to the body and reads them back out of the answer.
 */
import type { Pipeline } from '../pipelines/schema.js';

/** Our suggestions' names in the engine's `suggest` (a client's own keep theirs). */
const KEY = '_vlrerank_correct_';

export interface CorrectionAsk {
  /** The names of our entries in the request's `suggest`. */
  keys: string[];
  /** The query text as typed. */
  text: string;
}

/** Field names a term suggester can take: boosts dropped (`title^2`), patterns left out. */
function suggestFields(fields: string[]): string[] {
  return [...new Set(fields.map((f) => f.replace(/\^[\d.]*$/, '')).filter((f) => f !== '' && !f.includes('*')))];
}

/**
 * Add the term suggesters to a first-stage body (beside a client's own `suggest`, under names of
 * ours); undefined when the pipeline asks for no correction.
 */
export function askCorrection(body: Record<string, unknown>, text: string | undefined, fields: string[], fuzzy: Pipeline['first_stage']['fuzzy']): CorrectionAsk | undefined {
  if (!fuzzy || fuzzy.correct === false || !text?.trim()) return undefined;
  const names = suggestFields(fields);
  if (!names.length) return undefined;
  const own = body.suggest && typeof body.suggest === 'object' && !Array.isArray(body.suggest) ? (body.suggest as Record<string, unknown>) : {};
  const keys = names.map((_, i) => `${KEY}${i}`);
  body.suggest = {
    ...own,
    ...Object.fromEntries(names.map((field, i) => [keys[i], { text, term: { field, suggest_mode: fuzzy.correct, prefix_length: fuzzy.prefix_length, sort: 'score' } }])),
  };
  return { keys, text };
}

/** Take our entries back off a request body (asked again without them). */
export function dropCorrection(body: Record<string, unknown>, ask: CorrectionAsk): void {
  const s = body.suggest as Record<string, unknown> | undefined;
  if (!s) return;
  for (const k of ask.keys) delete s[k];
  if (!Object.keys(s).length) delete body.suggest;
}

/**
 * Edits between two words, a swap of neighbours counting one (optimal string alignment, as Lucene's
 * fuzzy query counts them with transpositions; the `leven` package counts a swap as two).
 */
export function editDistance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => [i, ...new Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0]![j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let v = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) v = Math.min(v, d[i - 2]![j - 2]! + 1);
      d[i]![j] = v;
    }
  }
  return d[a.length]![b.length]!;
}

/** The edits the fuzzy clause allows a word (`AUTO`: none below 3 characters, one to 5, two from 6). */
function allowedEdits(word: string, fuzziness: 'AUTO' | 1 | 2): number {
  if (fuzziness !== 'AUTO') return fuzziness;
  return word.length < 3 ? 0 : word.length < 6 ? 1 : 2;
}

type Entry = { text: string; offset: number; length: number; options: Array<{ text: string; score: number; freq: number }> };

/** One word the suggesters would correct: where it lies in the typed text, and the correction. */
export interface Correction {
  offset: number;
  length: number;
  to: string;
}

/**
 * The corrections the first stage's answer offers, and our entries taken off it (the client's answer
 * shows only the `suggest` it asked for).
 */
export function readCorrections(upstream: Record<string, unknown>, ask: CorrectionAsk, fuzziness: 'AUTO' | 1 | 2 = 'AUTO'): Correction[] {
  const s = upstream.suggest as Record<string, Entry[] | undefined> | undefined;
  if (!s || typeof s !== 'object') return [];
  // `typed_keys` names them `term#…`
  const perField = ask.keys.map((k) => s[k] ?? s[`term#${k}`]);
  for (const k of ask.keys) {
    delete s[k];
    delete s[`term#${k}`];
  }
  if (!Object.keys(s).length) delete upstream.suggest;
  if (perField.some((e) => !Array.isArray(e))) return [];
  // the words by their place in the text; one a field knows (no option there) is kept
  const words = new Map<number, { length: number; best?: { text: string; score: number; freq: number }; fields: number }>();
  for (const entries of perField as Entry[][]) {
    for (const e of entries) {
      const w = words.get(e.offset) ?? { length: e.length, fields: 0 };
      // the best option no further from the word than the fuzzy clause reaches (the suggester's own
      // `max_edits` is one for every length: "bell" → "best", two edits from a 4-letter word)
      const typed = e.text.toLowerCase();
      const top = e.options?.find((o) => editDistance(typed, o.text.toLowerCase()) <= allowedEdits(typed, fuzziness));
      if (top) {
        w.fields++;
        if (!w.best || top.score > w.best.score || (top.score === w.best.score && top.freq > w.best.freq)) w.best = top;
      }
      words.set(e.offset, w);
    }
  }
  return [...words].filter(([, w]) => w.best && w.fields === perField.length).map(([offset, w]) => ({ offset, length: w.length, to: w.best!.text }));
}

/** The words of some texts, lower-cased (letters and digits of any script). */
export function wordsOf(texts: Iterable<string>): Set<string> {
  const out = new Set<string>();
  for (const t of texts) for (const m of t.toLowerCase().matchAll(/[\p{L}\p{N}]+/gu)) out.add(m[0]);
  return out;
}

/**
 * The query with its last word completed (`first_stage.match_type: bool_prefix`, a search box that
 * reranks on every keystroke; held-out probe rounds 21d and 26c): the engine found the window by
 * the word as a prefix, but the text model reads the stump — "class 1 lemo" put the melons first,
 * bge reading "lemo" near "melon". The word becomes the window's word it begins that the most
 * window documents hold (then the shorter, then the first alphabetically): "lemo" → "lemon", "pinea" →
 * "pineapple". A word of at least `min` letters that no document holds whole, and that some
 * document's word begins (`windowWords`: each window document's words, `wordsOf`); otherwise
 * undefined (left as typed).
 */
export function completeLastWord(text: string, windowWords: ReadonlyArray<Set<string>>, min = 3): string | undefined {
  const m = /([\p{L}\p{N}]+)[^\p{L}\p{N}]*$/u.exec(text);
  if (!m || m[1]!.length < min) return undefined;
  const stump = m[1]!.toLowerCase();
  const docs = new Map<string, number>();
  for (const words of windowWords) {
    if (words.has(stump)) return undefined;
    for (const w of words) if (w.startsWith(stump)) docs.set(w, (docs.get(w) ?? 0) + 1);
  }
  let best: string | undefined;
  for (const [w, n] of docs) {
    const b = best === undefined ? 0 : docs.get(best)!;
    if (n > b || (n === b && w.length < best!.length) || (n === b && w.length === best!.length && w < best!)) best = w;
  }
  return best === undefined ? undefined : text.slice(0, m.index) + best + text.slice(m.index + m[1]!.length);
}

/**
 * The typed text with the corrections whose word a first-stage hit of the rerank window holds
 * (`found`; the top 10 alone left "pinaple juice" as typed: ten juices, no pineapple): a clean
 * word no document holds ("herd" in a small caption index) has a neighbour somewhere in the index
 * ("head"), but not in the documents the query found; a misspelling's word is in them, the fuzzy
 * clause found them by it. Undefined: nothing corrected.
 */
export function applyCorrections(text: string, corrections: Correction[], found: Set<string>, o: { lastIsPrefix?: boolean } = {}): string | undefined {
  let out = text;
  // `first_stage.match_type: bool_prefix`: the engine reads the last word as a prefix, so it is
  // being typed, never misspelt
  const end = text.trimEnd().length;
  // from the end, so earlier offsets stay right
  for (const c of [...corrections].sort((a, b) => b.offset - a.offset)) {
    if (!found.has(c.to.toLowerCase())) continue;
    if (o.lastIsPrefix && c.offset + c.length === end) continue;
    if (c.offset + c.length === text.length && unfinished(text.slice(c.offset).toLowerCase(), c.to.toLowerCase(), found)) continue;
    out = out.slice(0, c.offset) + c.to + out.slice(c.offset + c.length);
  }
  return out !== text ? out : undefined;
}

/**
 * The word being typed (search as you type, held-out probe round 26c: a search box sends "p", "pi",
 * "pin", "pine" … "pineapple"): the last word, nothing after it, that begins a word of the window
 * other than the correction is unfinished, not misspelt — "pine" was read as "pink", Pink Lady
 * first and the pineapple gone from the top 10. A correction that is the window's only way to
 * finish the word, its own endings aside ("banan" → "banana", "bananas" beside it), stays, as does
 * one of a word followed by a space.
 */
function unfinished(typed: string, to: string, found: Set<string>): boolean {
  for (const w of found) if (w.length > typed.length && w.startsWith(typed) && !w.startsWith(to)) return true;
  return false;
}

/** The engine refused a suggester on a field the index does not map (ES and OpenSearch: "no mapping found for field"). */
export function suggestFieldRefused(raw: Buffer): boolean {
  return raw.includes('no mapping found for field');
}
