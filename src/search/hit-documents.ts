/**
 * The rerank documents of a first stage's hits: each hit's pipeline fields as its `_source` shows
 * them, with its kept feature record. A hit whose `_source` shows none of the fields (a mapping
 * whose `_source.excludes` names them, a disabled `_source`) is stood in for by its feature record
 * (a stored field, read whatever `_source` keeps) when the record can be used alone: every part
 * current, with every vector the query compares — scored with no model run for it (held-out probe
 * round 8a: such indices were answered with the first stage, flagged). The others are not scored,
 * each with its reason. Never computes a feature; knows no HTTP.
 */
import { madeFrom, unpackRecord } from '../features/record/index.js';
import { DocumentRead, pipelinePaths, scoredDocument, valuesAt, type HitDocument } from '../pipelines/document.js';
import type { Pipeline } from '../pipelines/schema.js';
import { lackingPaths, type HitFieldValues } from './field-values.js';
import type { Scorer, StandInRequest } from './hit-scorer.js';
import type { Hit } from './shape.js';

export interface PresentDocument {
  /** Index of the hit in the first stage's hits. */
  i: number;
  d: HitDocument;
  /** The hit's feature record (unpacked), when records are kept in the index. */
  record?: unknown;
  /** `d` stands in for the record (its fields are not in `_source`). */
  standIn: boolean;
  /** The hit has several photos or clips: which one was scored (explain's `_vlrerank.media`). */
  media?: MediaNote;
  /** Values of its pipeline fields not read (a number as the photo, an object as the title): the first, said (`unreadValues`). */
  unread?: string;
}

/** Of a hit's several photos (or clips), the one scored — the first of its first three that loads (`chooseMedia`) — and how many it has. */
export type MediaNote = Partial<Record<'image' | 'video', { scored: string; of: number }>>;

/** The media note of a hit read as `read`, scored as `d` (`undefined` when it has at most one photo and one clip). */
function mediaNote(read: DocumentRead, d: HitDocument): MediaNote | undefined {
  const note: MediaNote = {};
  for (const kind of ['image', 'video'] as const) {
    const all = read.mediaValues(kind);
    if (all.length < 2) continue;
    const at = Math.max(0, read.candidates(kind).indexOf(d[kind] ?? ''));
    note[kind] = { scored: all[at]!, of: all.length };
  }
  return Object.keys(note).length ? note : undefined;
}

export interface HitDocuments {
  present: PresentDocument[];
  /** Hits with a record field asked that neither `_source` nor their record can be scored from: hit index → why. */
  unscorable: Map<number, string>;
}

/**
 * A hit's `_source` with the values of the pipeline fields it lacks, as the engine's `fields` shows
 * them (field-values.ts), under their dotted names: read as `_source` is, never twice.
 */
export function sourceWithFields(h: Hit, p: Pipeline, fields: Record<string, unknown> | undefined): unknown {
  if (!fields) return h._source;
  const out: Record<string, unknown> = { ...(h._source ?? {}) };
  for (const path of lackingPaths(h, p)) {
    const values = valuesAt(fields, path);
    if (values.length) out[path] = values;
  }
  return out;
}

/**
 * The documents of `hits` to score; `recordField` is the stored field the first stage asked for
 * (undefined: none); `fields`: the values of fields some hits' `_source` lacks (field-values.ts).
 */
export async function hitDocuments(hits: Hit[], p: Pipeline, recordField: string | undefined, scorer: Pick<Scorer, 'standIn' | 'mediaLoads'> | undefined, req: StandInRequest, fields: HitFieldValues = new Map(), signal?: AbortSignal): Promise<HitDocuments> {
  const present: PresentDocument[] = [];
  const unscorable = new Map<number, string>();
  const records = hits.map((h) => (recordField ? unpackRecord((h.fields as Record<string, unknown> | undefined)?.[recordField]) : undefined));
  // each hit's pipeline fields walked once, whatever is asked of them (its document, media note, unread values)
  const reads = hits.map((h, i) => new DocumentRead(sourceWithFields(h, p, fields.get(i)), p));
  // of a hit's several photos, the one its record was made from, else the first that loads (all hits
  // at once); `signal` ends with the search's budget: a photo not read by then does not load (the
  // first is scored, its error said), and a slow host never holds the search past its budget
  const probe = scorer?.mediaLoads ? (ref: string, kind: 'image' | 'video') => scorer.mediaLoads!(ref, kind, req, signal).catch(() => false) : undefined;
  const docs = await Promise.all(reads.map((read, i) => scoredDocument(read, (ref, kind) => madeFrom(records[i], kind, ref), probe)));
  for (const [i, h] of hits.entries()) {
    const record = records[i];
    const read = reads[i]!;
    const d = docs[i];
    const unread = read.unread()?.first;
    if (d) {
      const media = mediaNote(read, d);
      present.push({ i, d, record, standIn: false, ...(media ? { media } : {}), ...(unread ? { unread } : {}) });
      continue;
    }
    // the fields are there but hold nothing to score (a text of zero-width or control characters,
    // a number as the photo): said as such, and no record stands in for what the document shows
    if (pipelinePaths(p).some((path) => read.has(path))) {
      unscorable.set(i, unread ?? 'its pipeline fields hold nothing to score (no visible text, no media path or URL)');
      continue;
    }
    // a hit with no value of any pipeline field, read neither from _source nor by the engine's fields: said, not a silent 0
    if (!recordField) {
      unscorable.set(i, 'it has no value of any pipeline field (in _source, the fields API or stored fields)');
      continue;
    }
    if (record === undefined) {
      unscorable.set(i, 'none of the pipeline fields is in its _source and it has no feature record');
      continue;
    }
    if (!scorer?.standIn) {
      unscorable.set(i, 'none of the pipeline fields is in its _source and the scorer cannot read feature records alone');
      continue;
    }
    const s = await scorer.standIn(record, req);
    if ('document' in s) present.push({ i, d: s.document, record, standIn: true });
    else unscorable.set(i, `none of the pipeline fields is in its _source and ${s.reason}`);
  }
  return { present, unscorable };
}

/** The first unscorable hit, named: `hit [id]: reason`. */
export function firstUnscorable(hits: Hit[], unscorable: Map<number, string>): string | undefined {
  const first = unscorable.entries().next();
  return first.done ? undefined : `hit [${hits[first.value[0]]?._id ?? first.value[0]}]: ${first.value[1]}`;
}
