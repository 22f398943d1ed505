/**
 * A document as a pipeline sees it: the values at the pipeline's dotted field paths in a
 * `_source` (walking arrays, and keys that themselves contain dots as Elasticsearch allows), the
 * rerank document of one hit (its text fields joined, its first image and video, relative media
 * paths resolved against `media_base`), and writing a value at a dotted path (vectors at ingest).
 * Shared by search (hits → rerank documents) and ingest (documents → vectors), so neither has to
 * import the other.
 *
 * Pure functions; only setPath mutates (its target, by design), and a DocumentRead keeps what it
 * has walked of its document (never the document itself).
 */
import { isAbsolute, resolve } from 'node:path';
import type { Pipeline } from './schema.js';
import { setOwn } from '../util/own-key.js';
import { hasVisibleText } from '../util/visible-text.js';

type Json = unknown;

/** What the reranker scores of one document. */
export interface HitDocument {
  text?: string;
  image?: string;
  video?: string;
  fps?: number;
  max_frames?: number;
}

/**
 * All values at a dotted path, flattening arrays on the way (`images.url` over
 * `{images:[{url:a},{url:b}]}` → [a, b]); keys containing dots (`{"image.url": …}`) also match.
 */
export function valuesAt(source: Json, path: string): Json[] {
  const out: Json[] = [];
  const visit = (node: Json, parts: string[]): void => {
    if (node === undefined || node === null) return;
    if (Array.isArray(node)) {
      for (const x of node) visit(x, parts);
      return;
    }
    if (parts.length === 0) {
      out.push(node);
      return;
    }
    if (typeof node !== 'object') return;
    const obj = node as Record<string, Json>;
    for (let i = parts.length; i >= 1; i--) {
      const key = parts.slice(0, i).join('.');
      if (Object.hasOwn(obj, key)) visit(obj[key], parts.slice(i)); // the document's own keys: `toString` is no field of it
    }
  };
  visit(source, path.split('.'));
  return out;
}

/**
 * Set `value` at a dotted path, creating objects on the way (a key that itself holds the dots wins).
 * Every step is the object's own key, written as an own property: a pipeline's vector field
 * `__proto__.v` stepped into Object.prototype and wrote the vectors there — on every object of the
 * process from then on, for every later request, and not in the document (held-out probe round 21c).
 * Now it is a field named `__proto__`, as the engine stores one.
 */
export function setPath(obj: Record<string, unknown>, dotted: string, value: unknown): void {
  if (Object.hasOwn(obj, dotted) || !dotted.includes('.')) {
    setOwn(obj, dotted, value);
    return;
  }
  const keys = dotted.split('.');
  let cur = obj;
  for (const k of keys.slice(0, -1)) {
    let next = Object.hasOwn(cur, k) ? cur[k] : undefined;
    if (next === null || typeof next !== 'object' || Array.isArray(next)) setOwn(cur, k, (next = {}));
    cur = next as Record<string, unknown>;
  }
  setOwn(cur, keys[keys.length - 1]!, value);
}


const MEDIA_EXT = /\.(jpe?g|png|gif|webp|bmp|tiff?|avif|mp4|m4v|mkv|webm|mov|avi|mpe?g)$/i;

/** A relative media path resolved against the pipeline's `media_base` (a folder or an http(s) URL). */
export function resolveMedia(value: string, base: string | undefined): string {
  if (!base || /^(https?:|data:|file:)/i.test(value) || isAbsolute(value) || !MEDIA_EXT.test(value)) return value;
  if (/^https?:\/\//i.test(base)) return new URL(value, base.endsWith('/') ? base : `${base}/`).toString();
  return resolve(base, value);
}

/** The reference a media object gives (`{url | src | data | path}`, the first set); undefined for anything else. */
function mediaRefOf(v: unknown): unknown {
  if (!v || typeof v !== 'object') return undefined;
  const o = v as Record<string, unknown>;
  return o.url ?? o.src ?? o.data ?? o.path;
}

type Kind = 'image' | 'video';

/**
 * Why a value at a pipeline path is not read (`unreadValues`): a text field's object; a media
 * field's number, boolean or object without a string `url`/`src`/`data`/`path`. Empty values
 * (`null`, `""`, blank or invisible text) are no value, not unread.
 */
const unreadText = (v: Json): boolean => v !== null && typeof v === 'object';
const unreadMedia = (v: Json): boolean => !(v === null || typeof v === 'string' || typeof mediaRefOf(v) === 'string');

/**
 * One document as a pipeline reads it: each of its pipeline paths walked once (`valuesAt`) however
 * many ask — its text, its photos and clips and their candidates, its unread values. Search asks all
 * of them of every hit, and walked a hit's fields three times and worked out its candidates up to five
 * times each (task twin30); ingest and search make the document scored of one (`scoredDocument`).
 * `source` is never changed.
 */
export class DocumentRead {
  private readonly walked = new Map<string, Json[]>();
  private readonly media: Partial<Record<Kind, string[]>> = {};
  private readonly candidate: Partial<Record<Kind, string[]>> = {};
  private texts?: string[];
  /** A value `unread()` names was seen by `text()` or `mediaValues()`. */
  private unreadSeen = false;
  /** `unread()`'s answer once worked out (null: every value read). */
  private unreadSaid?: { count: number; first: string } | null;

  constructor(
    readonly source: unknown,
    readonly pipeline: Pick<Pipeline, 'fields'> & { scorer?: Pick<Pipeline['scorer'], 'fps' | 'max_frames'> },
  ) {}

  /** `valuesAt(source, path)`, walked the first time it is asked. */
  values(path: string): Json[] {
    let v = this.walked.get(path);
    if (v === undefined) this.walked.set(path, (v = valuesAt(this.source, path)));
    return v;
  }

  /** `hasValue(source, path)`. */
  has(path: string): boolean {
    return this.values(path).some(isValue);
  }

  /** The text values the rerank document joins, in the pipeline's text field order. */
  private text(): string[] {
    if (this.texts) return this.texts;
    const texts: string[] = [];
    for (const p of this.pipeline.fields.text) {
      for (const v of this.values(p)) {
        // a text of nothing visible (zero-width spaces, controls, a BOM) is no text, as one of spaces:
        // it embedded as the empty text and pulled its product down (held-out probe round 28b)
        if (typeof v === 'string' && hasVisibleText(v)) texts.push(v);
        else if (typeof v === 'number' || typeof v === 'boolean') texts.push(String(v));
        else if (unreadText(v)) this.unreadSeen = true;
      }
    }
    return (this.texts = texts);
  }

  /**
   * Every photo (`image`) or clip (`video`) at the pipeline's paths, in `_source` order: strings, and
   * `{url | src | data | path}` media objects. The rerank document takes the first (`document`).
   */
  mediaValues(kind: Kind): string[] {
    const done = this.media[kind];
    if (done) return done;
    const out: string[] = [];
    for (const p of this.pipeline.fields[kind]) {
      for (const v of this.values(p)) {
        if (typeof v === 'string' && v.trim()) out.push(v);
        else {
          // `{url: …}` / `{src: …}` / `{data: …}` media objects
          const s = mediaRefOf(v);
          if (typeof s === 'string' && s.trim()) out.push(s);
          else if (unreadMedia(v)) this.unreadSeen = true;
        }
      }
    }
    return (this.media[kind] = out);
  }

  /** Its first MEDIA_CANDIDATES photos (`image`) or clips (`video`), resolved against `media_base`. */
  candidates(kind: Kind): string[] {
    return (this.candidate[kind] ??= this.mediaValues(kind).slice(0, MEDIA_CANDIDATES).map((v) => resolveMedia(v, this.pipeline.fields.media_base)));
  }

  /**
   * `unreadValues`, over the values already walked; none at all looked at again when the document's
   * text and media, already read, held no value it names (search asks it of every hit).
   */
  unread(): { count: number; first: string } | undefined {
    const allRead = this.texts !== undefined && this.media.image !== undefined && this.media.video !== undefined;
    if (this.unreadSaid === undefined) this.unreadSaid = allRead && !this.unreadSeen ? null : this.unreadOnce();
    return this.unreadSaid ?? undefined;
  }

  private unreadOnce(): { count: number; first: string } | null {
    const f = this.pipeline.fields;
    let count = 0;
    let first: string | undefined;
    const said = (v: unknown) => {
      const s = JSON.stringify(v) ?? String(v);
      return s.length > 60 ? `${s.slice(0, 57)}...` : s;
    };
    for (const path of new Set(f.text)) {
      for (const v of this.values(path)) {
        if (!unreadText(v)) continue;
        count++;
        first ??= `pipeline text field [${path}] holds an object (${said(v)}), not a text: not read — name the text fields under it (e.g. [${path}.${Object.keys(v as object)[0] ?? 'name'}])`;
      }
    }
    for (const path of new Set([...f.image, ...f.video])) {
      for (const v of this.values(path)) {
        if (!unreadMedia(v)) continue;
        count++;
        first ??= `pipeline media field [${path}] holds ${said(v)}, not a media path or URL (a string, or an object with a string url, src, data or path): not read`;
      }
    }
    return first === undefined ? null : { count, first };
  }

  /** The rerank document; `undefined` when it has none of the pipeline's fields. `choice`: as `documentFromSource`. */
  document(choice: MediaChoice = {}): HitDocument | undefined {
    const texts = this.text();
    const doc: HitDocument = {};
    if (texts.length) doc.text = texts.join(this.pipeline.fields.text_separator);
    const pick = (kind: Kind) => {
      const c = this.candidates(kind);
      const chosen = choice[kind];
      return chosen !== undefined && c.includes(chosen) ? chosen : c[0];
    };
    const image = pick('image');
    if (image) doc.image = image;
    const video = pick('video');
    if (video) {
      doc.video = video;
      if (this.pipeline.scorer?.fps) doc.fps = this.pipeline.scorer.fps;
      if (this.pipeline.scorer?.max_frames) doc.max_frames = this.pipeline.scorer.max_frames;
    }
    return doc.text === undefined && doc.image === undefined && doc.video === undefined ? undefined : doc;
  }
}

/**
 * Why values at the pipeline's paths are not read (held-out probe round 28b: `image: 42`, an image's
 * `{id, alt}` object, `title: {en, sv}` were skipped without a word — the product ranked on its
 * other fields, no vectors at ingest): a media field's number, boolean or object without a string
 * `url`/`src`/`data`/`path`, a text field's object. Empty values (`null`, `""`, blank or invisible
 * text) are no value, not unread. Undefined when every value is read; else the first, and how many.
 */
export function unreadValues(source: unknown, pipeline: Pick<Pipeline, 'fields'>): { count: number; first: string } | undefined {
  return new DocumentRead(source, pipeline).unread();
}

/**
 * How many of a document's photos (or clips) are tried, in `_source` order, when one does not load:
 * a missing first photo was not replaced by the next (held-out probe round 28b: `[missing.jpg,
 * banana.jpg]` scored on its text alone); a 1,000-path array is never tried whole.
 */
export const MEDIA_CANDIDATES = 3;

/** Of a document's several photos and clips, the one to score of each kind (resolved, one of its `candidates`). */
export type MediaChoice = Partial<Record<Kind, string>>;

/** Does a photo or clip load (asked by `chooseMedia`)? */
export type MediaLoads = (ref: string, kind: Kind) => Promise<boolean>;

/**
 * The one rule for which photo and clip of a document is scored — by search, by ingest's vectors
 * and records, by backfill alike: of its first MEDIA_CANDIDATES, the first `loads` says loads (asked
 * in order, only of documents with several); the first when none does (its error is the one said).
 * `loads` may answer from a feature record (the photo it was made from) without reading anything.
 */
export async function chooseMedia(read: DocumentRead, loads: MediaLoads): Promise<MediaChoice> {
  const out: MediaChoice = {};
  for (const kind of ['image', 'video'] as const) {
    const candidates = read.candidates(kind);
    if (candidates.length < 2) continue;
    for (const ref of candidates) {
      if (!(await loads(ref, kind))) continue;
      out[kind] = ref;
      break;
    }
  }
  return out;
}

/**
 * `chooseMedia`'s `loads` for a document that may carry a feature record: when its record was made
 * from one of its candidates (`kept`), that one — nothing read, so a search with records runs no
 * model for it, and a record made from photo 2 is scored as photo 2's; else `probe` (none: the first).
 */
export function mediaLoader(read: DocumentRead, kept: (ref: string, kind: Kind) => boolean, probe?: MediaLoads): MediaLoads {
  const fromRecord: Partial<Record<Kind, string | false>> = {}; // false: none of its candidates
  return async (ref, kind) => {
    const r = (fromRecord[kind] ??= read.candidates(kind).find((c) => kept(c, kind)) ?? false);
    return r !== false ? ref === r : probe ? probe(ref, kind) : true;
  };
}

/**
 * The document scored, of a source and the feature record it may carry — search's hits and
 * ingest's (and backfill's) documents alike, so what ingest keeps is what search reads: its photo
 * and clip the one its record was made from (`kept`: features/record `madeFrom` of that record), else
 * the first of its first three that `probe` says loads (`chooseMedia`); `undefined` when it has none
 * of the pipeline's fields.
 */
export async function scoredDocument(read: DocumentRead, kept: (ref: string, kind: Kind) => boolean, probe?: MediaLoads): Promise<HitDocument | undefined> {
  return read.document(await chooseMedia(read, mediaLoader(read, kept, probe)));
}

/**
 * The rerank document of one hit; `undefined` when the hit has none of the pipeline's fields.
 * `choice` (`chooseMedia`): the photo and clip to score, when one of its candidates; else the first.
 */
export function documentFromSource(source: unknown, pipeline: Pipeline, choice: MediaChoice = {}): HitDocument | undefined {
  return new DocumentRead(source, pipeline).document(choice);
}

/** The pipeline's video sampling (`scorer.fps`, `scorer.max_frames`; unset: the reranker's media.fps / media.maxFrames): what its records, reranking, ingest's kNN vectors and a query clip's vector are sampled at. */
export function videoSampling(pipeline: Pick<Pipeline, 'scorer'>): { fps?: number; maxFrames?: number } {
  return { fps: pipeline.scorer.fps, maxFrames: pipeline.scorer.max_frames };
}

/** A pipeline's text, image and video fields, each once, as its `fields` name them (ingest, search and backfill alike). */
export const pipelinePaths = (p: Pick<Pipeline, 'fields'>): string[] => [...new Set([...p.fields.text, ...p.fields.image, ...p.fields.video])];

/** Does `doc` hold a value at `path`: not absent, `null`, `""` or an empty array (search/field-values.ts, ingest alike)? */
export const hasValue = (doc: unknown, path: string): boolean => valuesAt(doc, path).some(isValue);

const isValue = (v: Json): boolean => !(v === null || v === '' || (Array.isArray(v) && v.length === 0));

/**
 * The document as the pipeline reads it at ingest: each field of `sources` (engine/mapping.ts
 * `fieldSources`: an alias, a multi-field, a `copy_to` target) the document holds no value of is
 * given the values of the fields it reads, under its own dotted name — so vectors and records come
 * from what the search reads for the stored document. `doc` itself is not changed; without such a
 * field it is returned as is.
 */
export function withFieldSources(doc: Record<string, unknown>, sources: ReadonlyMap<string, readonly string[]> | undefined): Record<string, unknown> {
  if (!sources?.size) return doc;
  let view: Record<string, unknown> | undefined;
  for (const [path, from] of sources) {
    if (hasValue(doc, path)) continue;
    const values = from.flatMap((f) => valuesAt(doc as Json, f)).filter((v) => v !== null && v !== '');
    if (values.length) (view ??= { ...doc })[path] = values;
  }
  return view ?? doc;
}
