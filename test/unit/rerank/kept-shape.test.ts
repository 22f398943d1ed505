/**
 * Kept document sides (src/rerank/stages/kept.ts) are reused only by a request whose plan would make
 * the same side: every chunking setting a side depends on is in its shape — `max_chunks` too, or a
 * side read to 32 chunks would serve a pipeline asking 4 (and the other way round).
 */
import { expect, it } from 'vitest';
import { keptShape } from '../../../src/rerank/stages/kept.js';
import { resolveChunking } from '../../../src/rerank/chunking.js';
import type { RequestPlan } from '../../../src/rerank/stages/request.js';

const plan = (max_chunks?: number) =>
  ({ useLocal: true, qHasText: true, qHasVisual: false, req: {}, chunking: resolveChunking({ overlap: 128, aggregate: 'max', ...(max_chunks ? { max_chunks } : {}) }, 512) }) as unknown as RequestPlan;

it('two chunkings that differ only in max_chunks make sides of different shapes', () => {
  expect(keptShape(plan(), false)).toBeDefined();
  expect(keptShape(plan(4), false)).not.toBe(keptShape(plan(), false));
  expect(keptShape(plan(32), false)).toBe(keptShape(plan(), false));
});
