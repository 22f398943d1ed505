/**
 * No request stalls the server (issue 13 §2): while a real server reranks the largest texts a
 * client may send (four documents of 2.5 MiB each in one body) with the real
 * text model, `/_vlrerank/health` keeps answering, and the rerank itself answers 200 with every
 * document scored. Answers, not latency: speed is `npm run bench:load`'s business.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { RunningServer } from '../../../src/server/start.js';
import { DATA } from '../../helpers/paths.js';
import { startRerankServer } from '../../helpers/rerank-server.js';

let srv: RunningServer;
beforeAll(async () => {
  srv = await startRerankServer({ 'rerank.warmup': false });
});
afterAll(async () => srv?.close());

const abstracts = readFileSync(join(DATA, 'scifact-beir/corpus.jsonl'), 'utf8')
  .split('\n', 400)
  .filter(Boolean)
  .map((l) => (JSON.parse(l) as { text: string }).text);

it('health answers while 10 MiB of text is reranked, and every document is scored', async () => {
  const docs = Array.from({ length: 4 }, (_, i) => {
    const start = abstracts.slice(i * 5, i * 5 + 5).join(' ');
    return (start + ' ').repeat(Math.ceil(2.5 * 1024 * 1024 / (start.length + 1)));
  });
  const body = JSON.stringify({ query: 'vitamin D and bone fractures', documents: docs, return_documents: false });
  expect(body.length).toBeGreaterThan(10 * 1024 * 1024);
  let done = false;
  const rerank = fetch(`${srv.url}/v1/rerank`, { method: 'POST', headers: { 'content-type': 'application/json' }, body }).then(async (r) => {
    const json = (await r.json()) as any;
    done = true;
    console.log(`10 MiB rerank: ${[...r.headers].filter(([k]) => k.startsWith('x-vlrerank')).map(([k, v]) => `${k} ${v}`).join(', ')}`);
    return { status: r.status, json };
  });
  const answers: number[] = [];
  while (!done) {
    const h = await fetch(`${srv.url}/_vlrerank/health`);
    const j = (await h.json()) as any;
    expect(j.name).toBe('vlrerank');
    if (!done) answers.push(h.status);
  }
  const r = await rerank;
  expect(r.status).toBe(200);
  expect(r.json.results).toHaveLength(4);
  expect(answers.length).toBeGreaterThanOrEqual(1);
});
