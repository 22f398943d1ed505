/**
 * A `_bulk` led by a long video keeps its time budget (pipelines.bulkBudgetMs). The body's first
 * document was never deferred — so that each try stored one — and a body whose first document was
 * a 2-hour video answered only once that video was done (held-out probe round 22d: 46 s, past the
 * Python client's 10 s and the JS client's 30 s time-outs). Now the lead is deferred at the budget
 * like the others (a per-item 429 the bulk helpers send again) while its work goes on; sent again
 * once that work has ended, it is stored at once with its record (src/ingest/leads.ts). Here the
 * budget is 1 ms, so the lead's work always outlasts it; the 429 items are sent again as a helper
 * does (with a pause between tries) until every document is stored once, with its record. Real
 * Elasticsearch 8.19, real ffmpeg and models; the 20-minute video is an Intel clip looped by ffmpeg.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { parseRecord, unpackRecord } from '../../../src/index.js';
import { DATA } from '../../helpers/paths.js';
import { freshIndex, pipelinesDir, startSearchProxy, type SearchProxy } from '../../helpers/search-fixtures.js';

const INDEX = 'x23v-bulk-lead';
const PIPELINE = `name: x23v-lead
index_patterns: [x23v-bulk-lead*]
fields: { text: [title], video: [video] }
scorer: { fps: 1, max_frames: 16 }
first_stage: { text_query: bm25, match_fields: [title] }
failure: fail_open
features: { store: index }
vectors:
  ingest: true
  image: { field: video_vector, dims: 1280 }
`;
const CLIPS = join(DATA, 'intel-sample-videos/clips');
let dir: string;
let p: SearchProxy;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'vlr-bulk-lead-'));
  execFileSync('ffmpeg', ['-y', '-v', 'error', '-stream_loop', '-1', '-i', join(CLIPS, 'car-detection.mp4'), '-t', '1200', '-c', 'copy', '-an', join(dir, 'long.mp4')]);
  p = await startSearchProxy('elasticsearch', { pipelinesDir: pipelinesDir({ 'x23v-lead.yaml': PIPELINE }), bulkBudgetMs: 1, media: { roots: [DATA, dir], maxVideoSeconds: 7200 } });
  await freshIndex(p, p.pipelines.get('x23v-lead')!, INDEX);
}, 300_000);
afterAll(async () => {
  await p?.engine.json('DELETE', `/${INDEX}`);
  await p?.close();
  rmSync(dir, { recursive: true, force: true });
});

it('the long video leading the body is a 429 at the budget, not a wait for it; sent again, every document is stored once with its record', { timeout: 600_000 }, async () => {
  const docs = [
    { _id: 'long', title: 'a 20-minute street video', video: join(dir, 'long.mp4') },
    { _id: 'bottle', title: 'bottles on a belt', video: join(CLIPS, 'bottle-detection.mp4') },
    { _id: 'text', title: 'a document with no video' },
  ];
  const send = async (ds: typeof docs) => {
    const body = ds.map(({ _id, ...src }) => `${JSON.stringify({ create: { _id } })}\n${JSON.stringify(src)}\n`).join('');
    const r = (await (await fetch(`${p.url}/${INDEX}/_bulk`, { method: 'POST', headers: { 'content-type': 'application/x-ndjson' }, body })).json()) as any;
    return r.items.map((it: any) => it.create);
  };
  const first = await send(docs);
  // the lead was waited for before: 201 once the video was done
  expect(first[0]).toMatchObject({ _id: 'long', status: 429, error: { type: 'es_rejected_execution_exception' } });
  // sent again as a helper does, after a pause, until none is refused: each document stored once
  let left = docs.filter((_, i) => first[i].status === 429);
  const statuses = [first.map((it: any) => it.status)];
  // the pause grows as a helper's back-off does (0.5 s → 3 s, up to ~5 min in all): the video's work
  // takes what the machine gives it (40 tries 0.5 s apart ran out beside busy helpers here)
  for (let i = 0; i < 120 && left.length; i++) {
    await sleep(Math.min(500 * 1.25 ** i, 3_000));
    const again = await send(left);
    statuses.push(again.map((it: any) => it.status));
    for (const it of again) expect([201, 429], JSON.stringify(it)).toContain(it.status);
    // the first try's work on the 20-minute video still runs half a second later: the retry is told
    // so, not that its own budget ran out (held-out probe round 24a)
    if (i === 0) expect(again[0]).toMatchObject({ _id: 'long', status: 429, error: { reason: expect.stringMatching(/still adding .* for an earlier try/) } });
    left = left.filter((_, k) => again[k].status === 429);
  }
  expect(left, JSON.stringify(statuses)).toEqual([]);
  await p.engine.json('POST', `/${INDEX}/_refresh`);
  const r = await p.engine.json<any>('POST', `/${INDEX}/_search`, { size: 10, version: true, _source: false, stored_fields: ['vlrerank_features'], query: { match_all: {} } });
  const stored = new Map(r.body.hits.hits.map((h: any) => [h._id, { version: h._version, record: h.fields?.vlrerank_features !== undefined && parseRecord(unpackRecord(h.fields.vlrerank_features)).record !== undefined }]));
  expect([...stored.keys()].sort()).toEqual(['bottle', 'long', 'text']);
  for (const [id, s] of stored) expect(s, String(id)).toEqual({ version: 1, record: true });
});
