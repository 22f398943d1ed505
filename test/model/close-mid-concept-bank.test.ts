/**
 * An app closes its Reranker while a call that gave up (its signal aborted while a photo's host
 * never answered) had started the ImageNet concept bank — a thousand class names through the text
 * model, on a fresh cache. The call settled; close() freed the models; the bank's queued runs were
 * rejected "model … was closed" with nothing awaiting them: an unhandled rejection, which fails an
 * app's test run (vitest, jest) or, with --unhandled-rejections=strict, ends the process (held-out
 * probe round 30c). Real models, a real HTTP host that never answers.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { createServer, type Server } from 'node:http';
import type { Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Reranker } from '../../src/index.js';
import { MODELS } from '../helpers/paths.js';

const sockets = new Set<Socket>();
const silent: Server = createServer(() => {}); // a photo host that never answers
silent.on('connection', (s) => sockets.add(s));
afterAll(() => {
  for (const s of sockets) s.destroy();
  silent.close();
});

describe('a Reranker closed after a call gave up during its concept bank', () => {
  it('leaves no unhandled rejection behind', { timeout: 180_000 }, async () => {
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', () => r()));
    const photo = `http://127.0.0.1:${(silent.address() as AddressInfo).port}/apple.jpg`;
    const unhandled: unknown[] = [];
    const seen = (e: unknown) => void unhandled.push(e);
    process.on('unhandledRejection', seen);
    try {
      const reranker = new Reranker({ modelsDir: MODELS, mediaAllowHosts: ['127.0.0.1'], cacheDir: mkdtempSync(join(tmpdir(), 'vlr-bank-')) });
      await reranker.process({ query: { text: 'warm' }, documents: [{ text: 'up' }] }); // the models loaded
      const ac = new AbortController();
      const call = reranker.process({ query: { text: 'green apple' }, documents: [{ text: 'Granny Smith', image: photo }, { text: 'granite' }] }, { signal: ac.signal });
      // the call waits on the silent host while the concept bank is computed beside it
      while (sockets.size === 0) await new Promise((r) => setTimeout(r, 20));
      ac.abort(new Error('the app gave up'));
      await expect(call).rejects.toThrow();
      await reranker.close();
      // the bank's runs are refused at close(); their rejection reaches the event loop within a few turns
      for (let i = 0; i < 20; i++) await new Promise((r) => setTimeout(r, 25));
      expect(unhandled.map(String)).toEqual([]);
    } finally {
      process.off('unhandledRejection', seen);
    }
  });
});
