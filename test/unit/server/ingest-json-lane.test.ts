/**
 * The composition root hands ingest the JSON worker in `models.ingestLane`: a `_bulk`'s or a
 * `_doc`'s large body waits behind a search's body queued after it (`background`, the default),
 * and keeps its place with `foreground` (the old single queue). Real services, a real worker
 * thread; the order is the order the parses come back in.
 */
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../../src/config/load.js';
import { buildServices } from '../../../src/server/services.js';

const base = { coding: 'identity' as const, maxBytes: 1 << 24, maxDepth: 1000, always: true };
const body = (name: string) => Buffer.from(JSON.stringify({ name, text: 'x'.repeat(2000) }));

async function order(ingestLane: 'background' | 'foreground'): Promise<string[]> {
  const s = await buildServices(parseConfig({ upstream: { urls: ['http://127.0.0.1:1'] }, log: { level: 'silent', access: false }, store: { disk: { path: 'off' } }, models: { ingestLane } }));
  try {
    const got: string[] = [];
    const parse = (name: string, p: Promise<unknown>) => p.then(() => got.push(name));
    await Promise.all([
      parse('first', s.jsonWorker.parse(body('first'), base)), // takes the thread at once
      parse('ingest', s.ingestJsonWorker.parse(body('ingest'), base)),
      parse('search', s.jsonWorker.parse(body('search'), base)),
    ]);
    return got;
  } finally {
    await s.close();
  }
}

describe("ingest's bodies in the JSON worker", () => {
  it('wait behind a search (models.ingestLane: background)', async () => {
    expect(await order('background')).toEqual(['first', 'search', 'ingest']);
  });
  it('keep their place with models.ingestLane: foreground', async () => {
    expect(await order('foreground')).toEqual(['first', 'ingest', 'search']);
  });
});
