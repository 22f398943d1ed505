/**
 * The time budget of one rerank API call (src/rerank/budget.ts does the cutting): the
 * `x-vlrerank-budget-ms` header, else `rerank.apiBudgetMs` (the reranker's `apiBudgetMs`).
 * A header, not a body field: Cohere's, Jina's, vLLM's and TEI's request bodies have no such field
 * (TEI and Cohere refuse or ignore unknown ones), while every client SDK can add a header
 * (Cohere's `request_options.additional_headers`, `fetch`, `requests`), a gateway can set it for
 * all its clients, and one vlrerank can hand what is left of its own budget to a worker behind it.
 */
import { vlrError } from '../errors.js';
import { MAX_BUDGET_MS } from '../rerank/options.js';

export const BUDGET_HEADER = 'x-vlrerank-budget-ms';

/** The call's budget in ms (undefined: none): the header's whole number of ms, else the configured default (0: none). */
export function apiBudgetMs(header: string | string[] | undefined, configured: number | undefined): number | undefined {
  if (header === undefined) return configured ? configured : undefined;
  const v = Array.isArray(header) ? header.join(',') : header;
  const n = /^\s*\d{1,7}\s*$/.test(v) ? Number(v) : NaN;
  if (!(n >= 1 && n <= MAX_BUDGET_MS)) {
    throw vlrError('VLR_BAD_REQUEST', `[${BUDGET_HEADER}] must be a whole number of milliseconds from 1 to ${MAX_BUDGET_MS}, got [${v.slice(0, 40)}]`, { details: { field: BUDGET_HEADER } });
  }
  return n;
}
