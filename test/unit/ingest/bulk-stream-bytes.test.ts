import { Readable } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { transformBulk, type BulkReport } from '../../../src/ingest/bulk.js';
import { plainAction } from '../../../src/ingest/bulk-action.js';
import { JsonWorker, SMALL_BODY } from '../../../src/util/json-worker.js';
import { parsePipeline, PipelineRegistry } from '../../../src/pipelines/index.js';

const shop = parsePipeline({ index_patterns: ['shop'], fields: { text: ['t'], image: ['img'] }, vectors: { ingest: true, image: { field: 'v', dims: 2 } }, features: { store: 'none' } }, 'shop.yaml');
const registry = new PipelineRegistry([shop]);

const worker = new JsonWorker().start();
afterAll(() => worker.close());

async function run(body: Buffer, chunk: number, concurrency = 1, jsonWorker?: JsonWorker, pathIndex?: string): Promise<{ out: Buffer; report: BulkReport }> {
  const parts: Buffer[] = [];
  for (let i = 0; i < body.length; i += chunk) parts.push(body.subarray(i, i + chunk));
  const report: BulkReport = { failures: new Map(), added: new Map() };
  const out: Buffer[] = [];
  for await (const c of transformBulk(Readable.from(parts), { registry, concurrency, jsonWorker, pathIndex }, report)) out.push(c as Buffer);
  return { out: Buffer.concat(out), report };
}

describe('_bulk stream transform over raw bytes', () => {
  it('keeps multibyte and invalid UTF-8 bytes of every line exactly, split at any byte, with ingest documents in between', async () => {
    const body = Buffer.concat([
      Buffer.from('{"index":{"_index":"logs"}}\n{"msg":"héllo ✓ 😀"}\n'),
      Buffer.from('{"index":{"_index":"logs"}}\n{"bad":"'),
      Buffer.from([0xff, 0xfe, 0xc3]),
      Buffer.from('"}\r\n\n{"index":{"_index":"shop","_id":"1"}}\n{"t":"ü","img":"a.jpg"}\n'),
      Buffer.from('{"index":{"_index":"shop","_id":"2"}}\n{"t":"ä","img":"b.jpg"}\n{"index":{"_index":"logs"}}\n{"x":"é"}'),
    ]);
    // the last line has no newline and stays so: the engine refuses an unterminated body, as it would directly
    const expected = body;
    for (const chunk of [1, 2, 3, 5, 17, 64, 4096]) {
      for (const concurrency of [1, 4]) {
        const { out, report } = await run(body, chunk, concurrency);
        expect(out.equals(expected), `chunk ${chunk} concurrency ${concurrency}`).toBe(true);
        expect([...report.failures.keys()]).toEqual([2, 3]);
      }
    }
  });

  it('into an index no pipeline ingests, plain action lines are read in place, and one naming a pipeline index still gets its vectors', async () => {
    const body = Buffer.from(
      '{"delete":{"_id":"a"}}\n{ "index" : {} }\n{"x":1}\n{"update":{"_id":"b"}}\n{"doc":{"img":"not.jpg"}}\n' +
        '{"index":{"_index":"shop","_id":"1"}}\n{"t":"ü","img":"a.jpg"}\n{"create":{"_id":"c"}}\n{"img":"z.jpg"}\n',
    );
    for (const chunk of [1, 5, 4096]) {
      const { out, report } = await run(body, chunk, 1, undefined, 'logs');
      expect(out.equals(body), `chunk ${chunk}`).toBe(true);
      // the items are counted as the engine counts them: the shop document is item 3 (no embedder here: its failure says so)
      expect([...report.failures.keys()], `chunk ${chunk}`).toEqual([3]);
    }
    // at a pipeline's own path, an action naming a plain index leaves its source alone, and plain actions go to the path's pipeline
    const mixed = Buffer.from('{"index":{"_index":"logs"}}\n{"img":"x.jpg"}\n{"index":{}}\n{"t":"a","img":"a.jpg"}\n');
    const { out, report } = await run(mixed, 3, 1, undefined, 'shop');
    expect(out.equals(mixed)).toBe(true);
    expect([...report.failures.keys()]).toEqual([1]);
    const act = (t: string) => plainAction(Buffer.from(t), 0, Buffer.byteLength(t));
    expect([act('{"index":{}}'), act(' { "delete" :{"_id":"x"}}'), act('{"create":{"_id":"1"}}'), act('{"update":{}}')]).toEqual([{ op: 'index' }, { op: 'delete' }, { op: 'create' }, { op: 'update' }]);
    expect(act('{"index":{"_id":"1", "_index" : "shöp"}}')).toEqual({ op: 'index', index: 'shöp' });
    // anything else is parsed as JSON: an escape, two _index keys, another key or shape
    for (const t of ['{"index":{"_index":"sh\\u006fp"}}', '{"\\u0069ndex":{}}', '{"index":{"_index":"a","_index":"shop"}}', '{"index":{"_id":"_index"}}', '{"indexx":{}}', '["index"]', '']) expect(act(t), t).toBeUndefined();
  });

  it("a body whose last line has no newline keeps none, vectors or not (the engine refuses it as it would directly)", async () => {
    const body = Buffer.from('{"index":{"_index":"logs"}}\n{"x":1}\n{"index":{"_index":"shop","_id":"1"}}\n{"t":"ü","img":"a.jpg"}');
    for (const chunk of [1, 7, 4096]) {
      const { out } = await run(body, chunk);
      expect(out.subarray(0, out.length).toString('utf8').endsWith('\n'), `chunk ${chunk}`).toBe(false);
      expect(out.toString('utf8').startsWith('{"index":{"_index":"logs"}}\n{"x":1}\n{"index":{"_index":"shop","_id":"1"}}\n{'), `chunk ${chunk}`).toBe(true);
    }
  });

  it('a source line past SMALL_BODY is parsed in the JSON worker, with the outcome of a small one, and its bytes leave as received', async () => {
    const long = 'é'.repeat(SMALL_BODY); // 2 bytes each: the line is past SMALL_BODY, split inside characters
    const body = Buffer.from(`{"index":{"_index":"shop","_id":"1"}}\n{"t":"${long}","img":"a.jpg"}\n{"index":{"_index":"logs"}}\n{"x":"${long}"}\n{"index":{"_index":"shop","_id":"2"}}\n{"t":"ü","img":"b.jpg"}\n`);
    for (const chunk of [4096, 65536]) {
      const small = await run(body, chunk, 2); // no worker: parsed here
      const big = await run(body, chunk, 2, worker);
      expect(big.out.equals(body), `chunk ${chunk}`).toBe(true);
      // no embedder here: both documents of the shop index are reported as without vectors, the long one too
      const sorted = (r: BulkReport) => [...r.failures.entries()].sort((a, b) => a[0] - b[0]);
      expect(sorted(big.report)).toEqual(sorted(small.report));
      expect(sorted(big.report).map(([i]) => i)).toEqual([0, 2]);
    }
  });

  it('an action line past SMALL_BODY is not parsed: it and the rest of the body leave untouched', async () => {
    const body = Buffer.from(`{"index":{"_index":"shop"}}${' '.repeat(SMALL_BODY)}\n{"t":"a","img":"a.jpg"}\n{"index":{"_index":"shop","_id":"2"}}\n{"t":"b","img":"b.jpg"}\n`);
    const { out, report } = await run(body, 65536, 1, worker);
    expect(out.equals(body)).toBe(true);
    expect(report.failures.size).toBe(0);
  });
});
