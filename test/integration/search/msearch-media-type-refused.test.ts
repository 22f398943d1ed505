/**
 * An `_msearch` whose `Accept`/`Content-Type` the engine does not take — elasticsearch-py 9.x (its
 * captured headers, `compatible-with=9`) against Elasticsearch 8.19 — is refused as a whole, as
 * directly: the engine's 400 `media_type_header_exception`, and the client raises it. Before (held-out
 * probe round 14a), an `_msearch` with a reranked item answered 200 with that error in every item:
 * the client raised nothing. Real Elasticsearch 8.19.
 */
import { describe, expect, it } from 'vitest';
import { knowledgeBaseSuite } from '../../helpers/knowledge-base-suite.js';
import { ES_PY_9_MSEARCH_HEADERS, esPyJson } from '../../helpers/elasticsearch-py-bytes.js';

const INDEX = 'kb-msearch-mediatype-it';
const docs = [
  { title: 'White matter', text: 'Diffusion tensor imaging of cerebral white matter in newborns.' },
  { title: 'Kidney', text: 'Renal function after transplantation.' },
];

describe('an _msearch with a media type the engine refuses (elasticsearch-py 9 on Elasticsearch 8.19)', () => {
  const proxy = knowledgeBaseSuite('elasticsearch', INDEX, docs);
  const ext = { vlrerank: { query: { text: 'brain white matter' } } };
  const send = async (base: string, lines: object[]) => {
    const body = Buffer.concat(lines.flatMap((l) => [esPyJson(l), Buffer.from('\n')]));
    const r = await fetch(`${base}/_msearch`, { method: 'POST', headers: ES_PY_9_MSEARCH_HEADERS, body: new Uint8Array(body) });
    return { status: r.status, body: (await r.json()) as any };
  };

  it.each([
    ['one reranked item', [{ index: INDEX }, { query: { match: { text: 'brain' } }, ext, size: 2 }]],
    ['a reranked item and a plain one', [{ index: INDEX }, { query: { match: { text: 'brain' } }, ext, size: 2 }, { index: INDEX }, { query: { match_all: {} } }]],
  ])('%s: the engine’s 400 for the whole request, as directly', async (_name, lines) => {
    const p = proxy();
    const direct = await send(p.engineUrl, lines.map((l) => (l as { ext?: unknown }).ext ? { query: (l as { query: unknown }).query } : l));
    expect(direct.status).toBe(400);
    expect(direct.body.error.type).toBe('media_type_header_exception');
    const via = await send(p.url, lines);
    expect(via.status).toBe(400); // was 200, the error in each item
    expect(via.body).toEqual(direct.body);
  });
});
