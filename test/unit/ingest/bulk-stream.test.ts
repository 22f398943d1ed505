import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { transformBulk, type BulkReport } from '../../../src/ingest/bulk.js';
import { mergeBulkResponse } from '../../../src/ingest/bulk-report.js';
import { parsePipeline, PipelineRegistry } from '../../../src/pipelines/index.js';

const shop = parsePipeline({ index_patterns: ['shop'], fields: { text: ['t'], image: ['img'] }, vectors: { ingest: true, image: { field: 'v', dims: 2 } }, features: { store: 'none' } }, 'shop.yaml');
const registry = new PipelineRegistry([shop]);

async function run(body: string, chunk = 7, pathIndex?: string): Promise<{ out: string; report: BulkReport }> {
  const parts: Buffer[] = [];
  for (let i = 0; i < body.length; i += chunk) parts.push(Buffer.from(body.slice(i, i + chunk)));
  const report: BulkReport = { failures: new Map(), added: new Map() };
  const out = transformBulk(Readable.from(parts), { registry, pathIndex, concurrency: 2 }, report);
  let s = '';
  for await (const c of out) s += c.toString();
  return { out: s, report };
}

describe('_bulk stream transform', () => {
  it('forwards lines for other indices byte for byte, whatever the chunking', async () => {
    const body = '{"index":{"_index":"logs","_id":"1"}}\n{"msg":"a  b", "n":1}\n{"delete":{"_index":"logs","_id":"2"}}\n{"update":{"_index":"logs","_id":"3"}}\n{"doc":{"x":1}}\n';
    for (const chunk of [1, 5, 64]) expect((await run(body, chunk)).out).toBe(body);
  });

  it('reports a document of an ingest index whose media is unreadable, by item position, and keeps it', async () => {
    // no embedder configured → every media document is reported; documents without media are not
    const body = '{"delete":{"_index":"shop","_id":"0"}}\n{"index":{"_index":"shop","_id":"1"}}\n{"t":"x","img":"a.jpg"}\n{"index":{"_id":"2"}}\n{"t":"no image"}\n';
    const { out, report } = await run(body, 9, 'shop');
    expect(out).toBe(body);
    expect([...report.failures.keys()]).toEqual([1]);
    expect(report.failures.get(1)!.reason).toContain('vectors not added');
    const merged = mergeBulkResponse({ errors: false, items: [{ delete: { status: 404 } }, { index: { status: 201 } }, { index: { status: 201 } }] }, report) as any;
    expect(merged.items[1].index).toMatchObject({ status: 201, vlrerank: { vectors: false } });
    expect(merged.items[2].index.vlrerank).toBeUndefined();
    expect(merged.vlrerank).toEqual({ documents_with_vectors: 0, documents_without_vectors: 1 });
  });

  it('stops interpreting after a line it cannot read and forwards the rest untouched (fuzz)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.oneof(fc.string(), fc.constant('{"index":{"_index":"logs"}}'), fc.constant('{"a":1}')), { maxLength: 12 }), fc.integer({ min: 1, max: 20 }), async (lines, chunk) => {
        const body = lines.map((l) => l.replace(/\n/g, ' ') + '\n').join('');
        expect((await run(body, chunk)).out).toBe(body);
      }),
      { numRuns: 200 },
    );
  });
});
