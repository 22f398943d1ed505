import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { transformBulk, type BulkReport } from '../../../src/ingest/bulk.js';
import { parsePipeline, PipelineRegistry } from '../../../src/pipelines/index.js';

const shop = parsePipeline({ index_patterns: ['shop'], fields: { text: ['t'], image: ['img'] }, vectors: { ingest: true, image: { field: 'v', dims: 2 } }, features: { store: 'none' } }, 'shop.yaml');
const registry = new PipelineRegistry([shop]);

async function run(body: Buffer, chunk: number, concurrency = 1): Promise<{ out: Buffer; report: BulkReport }> {
  const parts: Buffer[] = [];
  for (let i = 0; i < body.length; i += chunk) parts.push(body.subarray(i, i + chunk));
  const report: BulkReport = { failures: new Map(), vectorized: 0, recorded: 0 };
  const out: Buffer[] = [];
  for await (const c of transformBulk(Readable.from(parts), { registry, concurrency }, report)) out.push(c as Buffer);
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
    const expected = Buffer.concat([body, Buffer.from('\n')]); // the last line gets its newline
    for (const chunk of [1, 2, 3, 5, 17, 64, 4096]) {
      for (const concurrency of [1, 4]) {
        const { out, report } = await run(body, chunk, concurrency);
        expect(out.equals(expected), `chunk ${chunk} concurrency ${concurrency}`).toBe(true);
        expect([...report.failures.keys()]).toEqual([2, 3]);
      }
    }
  });
});
