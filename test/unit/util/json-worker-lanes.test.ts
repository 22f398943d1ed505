/**
 * The JSON worker is one thread for search and ingest: a search's large body (a `_msearch`, a
 * reranked `_search`) waited behind every `_bulk` source line queued before it, first come first
 * served. Bodies now take their turn at the thread by lane (util/lanes.ts), read from the signal
 * the caller passes or set by `jsonWorkerInLane` (what ingest is handed): a search's body goes ahead
 * of ingest's queued ones, and ingest still gets one turn in BACKGROUND_EVERY. A real worker thread;
 * the order is the order the parses come back in.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { JsonWorker, jsonWorkerInLane } from '../../../src/util/json-worker.js';
import { BACKGROUND_EVERY, inLane } from '../../../src/util/lanes.js';

const worker = new JsonWorker().start();
afterAll(() => worker.close());
const base = { coding: 'identity' as const, maxBytes: 1 << 24, maxDepth: 1000, always: true };
const body = (name: string) => Buffer.from(JSON.stringify({ name, text: 'x'.repeat(1000) }));

describe('JsonWorker lanes', () => {
  it("a search's body is parsed before ingest's bodies queued ahead of it", async () => {
    const order: string[] = [];
    const ingest = jsonWorkerInLane(worker, 'background');
    const parse = (name: string, p: Promise<unknown>) => p.then(() => order.push(name));
    const all = [
      parse('bulk-1', ingest.parse(body('bulk-1'), base)), // takes the thread at once
      parse('bulk-2', ingest.parse(body('bulk-2'), base)),
      parse('bulk-3', worker.parse(body('bulk-3'), { ...base, signal: inLane('background').signal })),
      parse('bulk-4', ingest.parse(body('bulk-4'), base)),
      parse('msearch', worker.ndjson(Buffer.from('{}\n{"query":{"match_all":{}}}\n'), base)), // unmarked: foreground
      parse('search', worker.parse(body('search'), base)),
      parse('query', worker.parse(body('query'), { ...base, signal: inLane('query').signal })),
    ];
    await Promise.all(all);
    expect(order).toEqual(['bulk-1', 'query', 'msearch', 'search', 'bulk-2', 'bulk-3', 'bulk-4']);
  });

  it('ingest still gets one turn in BACKGROUND_EVERY while searches wait', async () => {
    const order: string[] = [];
    const ingest = jsonWorkerInLane(worker, 'background');
    const all = [worker.parse(body('first'), base).then(() => order.push('first'))];
    all.push(ingest.parse(body('bulk'), base).then(() => order.push('bulk')));
    for (let i = 0; i < BACKGROUND_EVERY + 2; i++) all.push(worker.parse(body(`s${i}`), base).then(() => order.push(`s${i}`)));
    await Promise.all(all);
    expect(order.indexOf('bulk')).toBe(BACKGROUND_EVERY); // after first and BACKGROUND_EVERY − 1 searches
  });

  it('values are what they were: the lane changes the order, not the answer', async () => {
    const r = await jsonWorkerInLane(worker, 'background').parse(body('v'), base);
    expect(r.ok && r.parsed && r.value).toEqual({ name: 'v', text: 'x'.repeat(1000) });
  });
});
