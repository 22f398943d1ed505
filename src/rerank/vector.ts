/** Small vector helpers for the signals: dot, cosine, normalise, weighted mean. Pure, allocation-light. */

export function dot(a: Float32Array, b: Float32Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
}

export function norm(a: Float32Array): number {
  return Math.sqrt(dot(a, a));
}

export function cosine(a: Float32Array, b: Float32Array): number {
  const n = norm(a) * norm(b);
  return n === 0 ? 0 : dot(a, b) / n;
}

/** A new L2-normalised copy (the zero vector stays zero). */
export function normalize(a: Float32Array): Float32Array {
  const n = norm(a);
  const out = new Float32Array(a.length);
  if (n === 0) return out;
  for (let i = 0; i < a.length; i++) out[i] = a[i]! / n;
  return out;
}

/** Σ w_i·v_i / Σ w_i (not normalised). */
export function weightedMean(vectors: Float32Array[], weights?: number[]): Float32Array {
  const dim = vectors[0]?.length ?? 0;
  const out = new Float32Array(dim);
  let total = 0;
  vectors.forEach((v, i) => {
    const w = weights ? weights[i]! : 1;
    total += w;
    for (let j = 0; j < dim; j++) out[j]! += w * v[j]!;
  });
  if (total > 0) for (let j = 0; j < dim; j++) out[j]! /= total;
  return out;
}

/** Numerically stable softmax of logits / temperature. */
export function softmax(logits: Float32Array, temperature = 1): Float64Array {
  let max = -Infinity;
  for (const x of logits) if (x > max) max = x;
  const out = new Float64Array(logits.length);
  let sum = 0;
  for (let i = 0; i < logits.length; i++) {
    const e = Math.exp((logits[i]! - max) / temperature);
    out[i] = e;
    sum += e;
  }
  for (let i = 0; i < out.length; i++) out[i]! /= sum;
  return out;
}

/** Indices of the k largest values, largest first. */
export function topK(values: ArrayLike<number>, k: number): number[] {
  const idx = Array.from({ length: values.length }, (_, i) => i);
  idx.sort((a, b) => values[b]! - values[a]! || a - b);
  return idx.slice(0, k);
}
