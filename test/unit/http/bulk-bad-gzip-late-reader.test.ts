/**
 * A compressed `_bulk` body that is not what its coding says fails at once, sometimes before the
 * write has started reading it (it looks up its pipelines first). That error had no listener yet and
 * was uncaught: the process would end (seen once on CI in ingest-compressed-bulk.test.ts). Now the
 * reader, starting late, still gets the 400's error, and nothing is thrown meanwhile.
 */
import { PassThrough } from 'node:stream';
import { expect, it } from 'vitest';
import { decodedBulk } from '../../../src/http/ingest-routes.js';

it('a bad gzip body read only after it failed: the reader gets VLR_BODY_DECODE, nothing is uncaught', async () => {
  const uncaught: unknown[] = [];
  const onUncaught = (e: unknown) => uncaught.push(e);
  process.prependListener('uncaughtException', onUncaught);
  try {
    const body = new PassThrough();
    const out = decodedBulk({ headers: { 'content-encoding': 'gzip' } }, body);
    body.end(Buffer.from('this is not gzip at all, just text\n'));
    await new Promise((r) => setTimeout(r, 100)); // the reader is late: the body has failed by now
    let caught: unknown;
    try {
      for await (const chunk of out) void chunk;
    } catch (e) {
      caught = e;
    }
    expect(caught).toMatchObject({ code: 'VLR_BODY_DECODE', message: expect.stringContaining('not valid gzip') });
    expect(uncaught).toEqual([]);
  } finally {
    process.removeListener('uncaughtException', onUncaught);
  }
});
