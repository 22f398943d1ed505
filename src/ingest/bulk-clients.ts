/**
 * Which clients send a `_bulk`'s per-item 429s again. The time budget of a `_bulk`
 * (`pipelines.bulkBudgetMs`) answers the documents it had no time to embed with the engine's per-item
 * 429, for the client's bulk helper to retry — the JS and Python helpers do, within their request
 * time-outs (30 s, 10 s), which the budget is there to stay under. The **Go** clients' bulk helpers
 * never do: `esutil.BulkIndexer` (go-elasticsearch) and `opensearchutil.BulkIndexer` (opensearch-go)
 * hand every failed item to `OnFailure` and move on, and neither client has a request time-out by
 * default. Held-out probe round 22b: through vlrerank their defaults dropped 201 of 300 SciFact
 * abstracts on OpenSearch 2.19 at the default 8 s budget (296 of 300 at 300 ms) — each reported to
 * `OnFailure` as a 429, none stored. For them the budget only loses documents: their `_bulk` waits for
 * its embeddings, as with `bulkBudgetMs: 0`.
 */

import { rawHeader } from '../proxy/hop-by-hop.js';

/** `go-elasticsearch/8.19.7 (linux amd64; Go 1.26.8)`, `opensearch-go/4.8.1 (…)`: the clients' own User-Agent. */
const GO_CLIENT_AGENT = /^(?:go-elasticsearch|opensearch-go)\//i;

/**
 * Does the client that sent this `_bulk` retry its 429 items? No for the Go clients, known by their
 * User-Agent or by go-elasticsearch's `X-Elastic-Client-Meta` (`es=8.19.7,go=1.26.8,…,h=bp`: a `go`
 * key, which stays when a team sets its own User-Agent); yes for every other client.
 */
export function retriesRejectedItems(raw: readonly string[]): boolean {
  if (GO_CLIENT_AGENT.test(rawHeader(raw, 'user-agent') ?? '')) return false;
  const meta = rawHeader(raw, 'x-elastic-client-meta') ?? '';
  return !meta.split(',').some((kv) => kv.trim().split('=')[0] === 'go');
}
