/** Round 30a: partial answers through the official JS clients (ES 8.19 client, OpenSearch client), reranked and not. */
import { Client as Es } from '@elastic/elasticsearch';
import { Client as Os } from '@opensearch-project/opensearch';
import { SIDES, type Side } from './p30a-lib.js';
const side = process.argv[2] as Side; const { proxy, engine } = SIDES[side];
const search = async (url: string, params: any) => {
  try {
    if (side === 'os2') return { ok: (await new Os({ node: url }).search(params)).body };
    return { ok: await new Es({ node: url }).search(params) };
  } catch (e: any) { return { err: `${e.name} ${e.meta?.statusCode} ${e.message.slice(0, 200)}` }; }
};
const sum = (r: any) => r.err ?? `sh=${JSON.stringify({ ...r.ok._shards, failures: r.ok._shards.failures?.length })} to=${r.ok.timed_out} te=${r.ok.terminated_early} tot=${JSON.stringify(r.ok.hits.total)} n=${r.ok.hits.hits.length} p=${r.ok.vlrerank?.first_stage_partial?.note?.slice(40, 140)}`;
const bad = { bool: { must: [{ match: { title: 'apple' } }], filter: [{ term: { code: 'abc' } }] } };
const ext = { vlrerank: { pipeline: 'p30a', query: { text: 'apple' } } };
const cases: Record<string, any> = {
  shard_fail: { index: 'p30a-a,p30a-b', body: { query: bad } },
  no_partial: { index: 'p30a-a,p30a-b', allow_partial_search_results: false, body: { query: bad } },
  closed_ign: { index: 'p30a-a,p30a-d', ignore_unavailable: true, body: { query: { match: { title: 'apple' } } } },
  terminate: { index: 'p30a-a', body: { terminate_after: 1, query: { match: { title: 'apple' } } } },
  knn_mixed: { index: 'p30a-a,p30a-c', body: {} },
  timeout: { index: 'p30a-big', body: { timeout: '1nanos', query: { query_string: { query: 'cell* OR prote*' } } } },
};
for (const [name, params] of Object.entries(cases)) {
  console.log(side, name, 'direct', sum(await search(engine, params)));
  console.log(side, name, 'rerank', sum(await search(proxy, { ...params, body: { ...params.body, ext } })));
}
