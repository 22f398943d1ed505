/**
 * Test helper: a Models facade over ../shared/models used directly as the models dir (as CI does),
 * with test-friendly batching (no wait) unless overridden.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { modelsSchema, type Config } from '../../src/config/schema.js';
import { Models } from '../../src/models/index.js';
import { MODELS } from './paths.js';

export function modelsConfig(over: Partial<Config['models']> = {}): Config['models'] {
  return modelsSchema.parse({ dir: MODELS, intraOpThreads: 2, ...over });
}

export function sharedModels(over: Partial<Config['models']> = {}): Promise<Models> {
  return Models.create(modelsConfig(over));
}

export function reference<T = any>(model: string): T {
  return JSON.parse(readFileSync(join(MODELS, model, 'reference.json'), 'utf8')) as T;
}

/** The synthetic input of the reference files: x[c,i,j] = sin(0.05·(i+1)·(c+1) + 0.03·j). */
export function synthetic(h: number, w: number): Float32Array {
  const x = new Float32Array(3 * h * w);
  for (let c = 0; c < 3; c++) for (let i = 0; i < h; i++) for (let j = 0; j < w; j++) x[c * h * w + i * w + j] = Math.sin(0.05 * (i + 1) * (c + 1) + 0.03 * j);
  return x;
}

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < b.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

export function cosine(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let d = 0, na = 0, nb = 0;
  for (let i = 0; i < a.length; i++) {
    d += a[i]! * b[i]!;
    na += a[i]! * a[i]!;
    nb += b[i]! * b[i]!;
  }
  return d / Math.sqrt(na * nb);
}
