/** Test helper: a standalone Reranker over ../shared/models with ../shared/data as the media root. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Reranker } from '../../src/rerank/reranker.js';
import type { RerankerOptions } from '../../src/rerank/options.js';
import { DATA, MODELS } from './paths.js';

export function testReranker(over: RerankerOptions = {}): Reranker {
  return new Reranker({ modelsDir: MODELS, device: 'cpu', mediaRoots: [DATA], ...over });
}

export function jsonl<T>(rel: string): T[] {
  return readFileSync(join(DATA, rel), 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as T);
}

/** 1-based rank of `target` in a list of indices ordered best first. */
export function rankOf(order: number[], target: number): number {
  return order.indexOf(target) + 1;
}
