/**
 * Held-out probe round 12d: a team that moves scoring to GPU workers — a front vlrerank on
 * Elasticsearch 8.19 whose pipelines score with `backend: remote`, and two real
 * `vlrerank serve --role worker` processes, killed with SIGKILL. A search keeps its reranked order
 * while one worker lives; with both gone a fail-open search says which workers failed and why (not
 * only the last one tried), a fail-closed one answers 503 saying the same, and
 * `/_vlrerank/health` shows each worker's state and last error — never the API key.
 */
import { Client } from '@elastic/elasticsearch';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { RunningServer } from '../../../src/server/start.js';
import { useEngine } from '../../helpers/engines.js';
import { onlyPipelines } from '../../helpers/http-server.js';
import { spawnRerankProcess, startRerankServer } from '../../helpers/rerank-server.js';

const KEY = 'p12d-remote-key-9876543210';
const INDEX = `p12d-remote-${process.pid}`;
const pipeline = (name: string, failure: string) => `name: ${name}\nindex_patterns: [${INDEX}]\nfields:\n  text: [title]\nscorer:\n  backend: remote\nwindow: { default: 10, max: 50 }\nbudget_ms: 20000\nfailure: ${failure}\n`;
let es: Client;
let workers: Array<Awaited<ReturnType<typeof spawnRerankProcess>>>;
let srv: RunningServer;

beforeAll(async () => {
  const url = await useEngine('elasticsearch');
  es = new Client({ node: url });
  await es.indices.delete({ index: INDEX }, { ignore: [404] });
  const titles = ['a rocket launch', 'a cup of coffee', 'espresso beans', 'a teapot', 'green tea', 'a bicycle'];
  await es.bulk({ refresh: true, operations: titles.flatMap((title, i) => [{ index: { _index: INDEX, _id: String(i) } }, { title }]) });
  workers = await Promise.all([spawnRerankProcess({ role: 'worker', mediaRoots: false }), spawnRerankProcess({ role: 'worker', mediaRoots: false })]);
  srv = await startRerankServer({
    'rerank.warmup': false,
    'upstream.urls': [url],
    'pipelines.dir': onlyPipelines({ 'open.yaml': pipeline('p12d-open', 'fail_open'), 'closed.yaml': pipeline('p12d-closed', 'fail_closed') }),
    'rerank.remote.urls': workers.map((w) => w.url),
    'rerank.remote.apiKey': KEY,
    // every call tries both workers: what is asserted does not depend on which one is tried first
    'rerank.remote.breakerThreshold': 100,
  });
});
afterAll(async () => {
  await srv?.close();
  for (const w of workers ?? []) await w.stop();
  await es?.indices.delete({ index: INDEX }, { ignore: [404] });
  await es?.close();
});

async function search(pipelineName: string): Promise<{ status: number; text: string; json: any }> {
  const res = await fetch(`${srv.url}/${INDEX}/_search?search_pipeline=${pipelineName}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ size: 3, query: { match_all: {} }, ext: { vlrerank: { query: { text: 'coffee' } } } }),
  });
  const text = await res.text();
  return { status: res.status, text, json: JSON.parse(text) };
}
const health = async () => (await fetch(`${srv.url}/_vlrerank/health`)).text();

it('one worker killed mid-search: searches stay reranked; both killed: the fail-open reason and the fail-closed 503 name both workers; health shows each and turns yellow', { timeout: 240_000 }, async () => {
  const up = await search('p12d-open');
  expect(up.json.vlrerank.degraded, up.text).toBe(false);
  expect(up.json.hits.hits[0]._source.title).toBe('a cup of coffee');
  const h0 = JSON.parse(await health());
  expect(h0.status).toBe('green');
  expect(h0.remote_workers.map((w: any) => [w.worker, w.state])).toEqual(workers.map((w) => [w.url, 'closed']));

  const during = Promise.all([search('p12d-open'), search('p12d-open'), search('p12d-open')]);
  workers[0]!.child.kill('SIGKILL');
  for (const r of [...(await during), await search('p12d-open'), await search('p12d-open')]) {
    expect(r.json.vlrerank.degraded, r.text).toBe(false);
    expect(r.json.hits.hits[0]._source.title).toBe('a cup of coffee');
  }

  workers[1]!.child.kill('SIGKILL');
  await workers[1]!.stop();
  const open = await search('p12d-open');
  expect(open.status).toBe(200);
  expect(open.json.vlrerank.degraded).toBe('failed');
  expect(open.json.vlrerank.reason).toMatch(/all 2 remote rerank workers tried failed/);
  for (const w of workers) expect(open.json.vlrerank.reason).toContain(w.url);
  const closed = await search('p12d-closed');
  expect(closed.status).toBe(503);
  for (const w of workers) expect(closed.json.error.reason).toContain(w.url);

  const text = await health();
  expect(text).not.toContain(KEY);
  const h1 = JSON.parse(text);
  // every worker out: yellow (the replica still serves; a remote pipeline does not rerank), saying which
  expect(h1.status).toBe('yellow');
  expect(h1.reasons[0]).toMatch(/every remote rerank worker is out of service/);
  for (const w of workers) expect(h1.reasons[0]).toContain(w.url);
  for (const [i, w] of h1.remote_workers.entries()) {
    expect(w.worker).toBe(workers[i]!.url);
    expect(w.failures).toBeGreaterThanOrEqual(1);
    expect(w.last_error).toMatch(/ECONNREFUSED|other side closed|ECONNRESET|SocketError/);
  }
});
