/**
 * Keyword stuffing (held-out probe round 26b): a document text in which a word or a phrase comes
 * four or more times in a row ("Banana Banana Banana Banana … Garlic", a claim pasted thirty times) is
 * read with the run written once. A text encoder pools over every token, so a run pulls the whole
 * vector towards the repeated words: "Banana" × 20 before a garlic listing scored 0.886 for
 * "banana" against 0.472 with the word once (the genuine banana 0.891), and a SciFact claim pasted
 * 30 times after an unrelated abstract 0.812 against 0.318 once (0.81–0.98 for 14 of 20 claims,
 * above the abstracts that answer them). The run adds nothing a reader learns from it once; BM25
 * saturates term frequency for the same reason.
 *
 * Words are runs of non-space compared without case and without the punctuation around them
 * ("Banana, banana, BANANA" is a run); three in a row ("MAP kinase kinase kinase", "ba, ba, ba",
 * crystal planes "(1 1 1)": each in SciFact) are left as written — none of the texts of the Grocery,
 * COCO or SciFact sets changes.
 * The longest repeated stretch wins at each word (a phrase of up to MAX_PHRASE words), and the text
 * is collapsed until nothing is left to collapse, so the result is a fixed point: collapsing it
 * again changes nothing (a remote worker given the collapsed text reads the same). Everything
 * between the runs is kept byte for byte; a text without runs is returned as it was (the same
 * string), so its record key and vectors do not change. A function of the text alone.
 */

import { createHash } from 'node:crypto';
import { LRUCache } from 'lru-cache';

/** Occurrences in a row from which a run is written once. */
export const MIN_REPEATS = 4;
/** The longest phrase (in words) looked for as a repeated unit. */
export const MAX_PHRASE = 64;

const WORD_CHAR = /[\p{L}\p{N}]/u;
const SPACE = /\s/;
const isSpace = (c: number) => c === 32 || (c >= 9 && c <= 13) || (c > 127 && SPACE.test(String.fromCharCode(c)));
const isWordChar = (c: number) => (c >= 97 && c <= 122) || (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c > 127 && WORD_CHAR.test(String.fromCharCode(c)));

/** The words (runs of non-space) of a text: where each ends, and each as compared — lower case, without the punctuation around it. */
function wordsOf(text: string): { ends: number[]; keys: string[] } {
  const lower = text.toLowerCase();
  // a lower-casing that changes the length (rare letters) is done word by word instead
  const aligned = lower.length === text.length;
  const ends: number[] = [];
  const keys: string[] = [];
  const n = text.length;
  let i = 0;
  while (i < n) {
    while (i < n && isSpace(text.charCodeAt(i))) i++;
    if (i >= n) break;
    let j = i;
    while (j < n && !isSpace(text.charCodeAt(j))) j++;
    let a = i;
    let b = j;
    while (a < b && !isWordChar(text.charCodeAt(a))) a++;
    while (b > a && !isWordChar(text.charCodeAt(b - 1))) b--;
    ends.push(j);
    keys.push(aligned ? lower.slice(a, b) : text.slice(a, b).toLowerCase());
    i = j;
  }
  return { ends, keys };
}

function collapseOnce(text: string): string {
  const { ends, keys } = wordsOf(text);
  const n = keys.length;
  // [from, to): character ranges to drop (from the end of a run's first unit to the end of its last)
  const cuts: Array<[number, number]> = [];
  let i = 0;
  while (i < n) {
    let bestLen = 0;
    let bestReps = 0;
    const k = keys[i]!;
    for (let p = 1; k !== '' && p <= MAX_PHRASE && i + p * MIN_REPEATS <= n; p++) {
      if (keys[i + p] !== k) continue;
      let reps = 1;
      while (i + (reps + 1) * p <= n && sameUnit(keys, i, i + reps * p, p)) reps++;
      if (reps >= MIN_REPEATS && reps * p > bestLen * bestReps) {
        bestLen = p;
        bestReps = reps;
        // no longer stretch is left to find from here (a longer one must be strictly longer)
        if (bestLen * bestReps >= n - i) break;
      }
    }
    if (bestReps) {
      cuts.push([ends[i + bestLen - 1]!, ends[i + bestLen * bestReps - 1]!]);
      i += bestLen * bestReps;
    } else i++;
  }
  if (!cuts.length) return text;
  let out = '';
  let at = 0;
  for (const [from, to] of cuts) {
    out += text.slice(at, from);
    at = to;
  }
  return out + text.slice(at);
}

function sameUnit(keys: readonly string[], a: number, b: number, len: number): boolean {
  for (let j = 0; j < len; j++) if (keys[a + j] !== keys[b + j]) return false;
  return true;
}

/** The text with every run of a word or phrase repeated MIN_REPEATS or more times in a row written once; the same string when there is none. */
export function collapseRepeats(text: string): string {
  // every search reads each window document's text: a long one is looked up by its hash (≈ 0.004 ms
  // for an abstract) rather than scanned again (≈ 0.07 ms; a 300-document window ≈ 20 ms a search;
  // a text past COLLAPSE_MAX_CHARS up to 70 ms)
  if (text.length < MEMO_FROM) return collapseAll(text);
  const long = text.length > COLLAPSE_MAX_CHARS;
  // a long text's reading depends on its length and its first characters alone (collapseLong)
  const key = `${createHash('sha1').update(long ? text.slice(0, LONG_READ_CHARS) : text).digest('base64url')}:${text.length}`;
  const hit = memo.get(key);
  if (hit === UNCHANGED) return text;
  if (hit !== undefined) return hit.head + text.slice(hit.at);
  const r = long ? collapseLong(text) : { head: collapseAll(text), at: text.length };
  // collapsing only takes away: a head as long as what it read is that text
  if (r.head.length === r.at) {
    memo.set(key, UNCHANGED);
    return text;
  }
  memo.set(key, r);
  return r.head + text.slice(r.at);
}

/** A text longer than this is read for runs a segment of this size at a time (collapseLong). */
export const COLLAPSE_MAX_CHARS = 64 * 1024;
/** Characters of a long text read for runs at most; past them it is kept as written (collapseLong). */
export const COLLAPSE_MAX_READ = 1024 * 1024;
/** Characters collapseLong can look at: its last segment starts before COLLAPSE_MAX_READ. */
const LONG_READ_CHARS = COLLAPSE_MAX_READ + COLLAPSE_MAX_CHARS + 1;

/** A text's reading: its first `at` characters collapse to `head`; the rest is kept as written. */
interface Reading {
  head: string;
  at: number;
}

/**
 * A long text, read for runs a segment (COLLAPSE_MAX_CHARS, cut at a space) at a time: the scan's
 * factor of up to MAX_PHRASE word comparisons held the event loop 1–4 s on the whole of a 10 MiB
 * text (health 0.15–0.5 s → 1.1–4.1 s). Segments are read while what they collapse to stays under
 * COLLAPSE_MAX_CHARS — a text of runs is read on (a long filler of one word becomes that word
 * once, as it does in a short text), and no text model window or first chunks reach past that much
 * text without runs — and never past COLLAPSE_MAX_READ; the rest is kept as written. What the
 * segments made is collapsed again as a whole, so a run across a segment's end is written once.
 */
function collapseLong(text: string): Reading {
  let out = '';
  let at = 0;
  while (at < text.length && out.length < COLLAPSE_MAX_CHARS && at < COLLAPSE_MAX_READ) {
    let end = Math.min(text.length, at + COLLAPSE_MAX_CHARS);
    if (end < text.length) {
      const space = text.lastIndexOf(' ', end);
      if (space > at) end = space;
    }
    out += collapseAll(text.slice(at, end));
    at = end;
  }
  return { head: out.length <= COLLAPSE_MAX_CHARS * 2 ? collapseAll(out) : out, at };
}
const MEMO_FROM = 256;
/** Readings by text, bounded in entries and in the bytes of the heads kept (a head is up to 128 Ki characters). */
const UNCHANGED = Symbol('unchanged');
const memo = new LRUCache<string, Reading | typeof UNCHANGED>({ max: 20_000, maxSize: 64 * 1024 * 1024, sizeCalculation: (r) => 64 + (r === UNCHANGED ? 0 : 2 * r.head.length) });

function collapseAll(text: string): string {
  let t = text;
  for (;;) {
    const next = collapseOnce(t);
    if (next === t) return t;
    t = next;
  }
}
