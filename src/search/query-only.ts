/**
 * `_count`, `/{index}/_explain/{id}` and `_validate/query`: endpoints that read a search body's
 * `query` and answer for the **first stage** (README, "What the engine's tuning tools measure"):
 * a rerank changes no count, and explains or validates nothing of the engine's. An app (or a
 * console) that sends the body of its reranked search there — to count its matches beside the
 * page, to explain a hit — got the engine's 400 `request does not support [ext]` for vlrerank's own
 * `ext.vlrerank` (`_validate/query`: a 200 `"valid": false` with that reason), where the body without it is
 * answered (held-out probe round 31e, Elasticsearch 8.19/9.2, OpenSearch 2.19/3.6). `ext.vlrerank` is
 * taken out (its `ext` with it when nothing else is in it), the rest sent as the client wrote it
 * (numbers past 2^53 kept), and the answer says so in a `Warning` header (the official clients
 * collect it, `meta.warnings`). Anything else in `ext`, a body that is not JSON or repeats a key,
 * goes to the engine as sent: its own answer.
 * Never touches a socket (http/ reads the body and writes the answer).
 */
import { assertJsonDepth } from '../util/json-depth.js';
import { duplicateKey } from '../util/json-duplicate-keys.js';
import { stringifyAsSent } from '../util/json-tokens.js';
import { isObject } from '../util/is-object.js';
import { withoutVlrerankExt } from './detect.js';
import { isJsonBody } from './headers.js';

export type QueryOnlyEndpoint = '_count' | '_explain' | '_validate/query';

const WHY: Record<QueryOnlyEndpoint, string> = {
  _count: 'counts the first stage\'s matches, which a rerank does not change',
  _explain: 'explains the engine\'s first-stage score of one document; a reranked score is explained by _search with ext.vlrerank.explain',
  '_validate/query': 'validates the first stage\'s query',
};

/** What the answer's `Warning` header says (http/ writes the header): the ask was removed, and why. */
export const removedNote = (endpoint: QueryOnlyEndpoint): string => `ext.vlrerank was removed: [${endpoint}] ${WHY[endpoint]}`;

/**
 * The body to send in place of the client's, and the note to warn with; undefined: send it as
 * received. `body`: what http/ read (`parsed` when a large one was parsed off the main thread).
 */
export function withoutRerankAsk(
  endpoint: QueryOnlyEndpoint,
  body: { text: string | undefined; parsed?: { hasMarker: boolean; value: unknown } },
  headers: readonly string[],
  maxJsonDepth: number,
): { body: Buffer; note: string } | undefined {
  if (!isJsonBody(headers)) return undefined; // the engine's answer to a body it does not read as JSON
  let value: unknown;
  if (body.parsed) {
    if (!body.parsed.hasMarker) return undefined;
    value = body.parsed.value;
  } else {
    const text = body.text;
    if (text === undefined || !text.includes('vlrerank')) return undefined;
    assertJsonDepth(text, maxJsonDepth); // before JSON.parse recurses on it: our 400, as on _search
    try {
      value = JSON.parse(text);
    } catch {
      return undefined; // the engine's parse error
    }
    if (duplicateKey(text) !== undefined) return undefined; // the engine's "Duplicate field"
  }
  if (!isObject(value) || !isObject(value.ext) || !('vlrerank' in value.ext)) return undefined;
  const out = withoutVlrerankExt(value)!;
  return { body: Buffer.from(body.text !== undefined ? stringifyAsSent(out, body.text) : JSON.stringify(out)), note: removedNote(endpoint) };
}
