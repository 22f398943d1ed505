/**
 * The ConSE bridge (Norouzi et al., ICLR 2014): text ↔ image relevance without a CLIP model.
 *
 *   p       = softmax(imagenet_logits / temperature)
 *   v_image = normalize( Σ_{k ∈ top-T} p_k · e(label_k) / Σ p_k )
 *   raw     = cos(e_query(query), v_image)
 *
 * Settings measured in ../shared/ZERO-SHOT-BRIDGE.md: T=20, temperature 2, label text = every
 * ImageNet synonym joined with ", " in "a photo of a {label}" (COCO-mini MRR 0.421).
 * The 1,000 label embeddings are computed once per (classifier, text embedder) pair and kept on disk
 * (see concept-bank.ts) so start-up is not 1,000 bge passes each time.
 */
import { normalize, softmax, topK } from '../../util/vector.js';

export interface BridgeSettings {
  /** How many of the most probable concepts are mixed. */
  topT: number;
  temperature: number;
}

export const DEFAULT_BRIDGE: BridgeSettings = { topT: 20, temperature: 2 };

/** The label text of one ImageNet class: every synonym, joined, in the measured prompt. */
export function conceptText(className: string): string {
  const synonyms = className
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  return `a photo of a ${synonyms.join(', ')}`;
}

export interface BridgeVector {
  /** Unit vector in the text embedder's space. */
  vector: Float32Array;
  /** The top concepts with their (tempered) probabilities, for explanations. */
  top: Array<{ classId: number; p: number }>;
}

/** Map one image's classifier logits into the text space through the concept embeddings. */
export function bridgeVector(logits: Float32Array, conceptVectors: Float32Array[], settings: BridgeSettings = DEFAULT_BRIDGE): BridgeVector {
  const p = softmax(logits, settings.temperature);
  const top = topK(p, settings.topT);
  const dim = conceptVectors[0]!.length;
  const mix = new Float32Array(dim);
  let total = 0;
  for (const k of top) {
    const w = p[k]!;
    total += w;
    const v = conceptVectors[k]!;
    for (let j = 0; j < dim; j++) mix[j]! += w * v[j]!;
  }
  if (total > 0) for (let j = 0; j < dim; j++) mix[j]! /= total;
  return { vector: normalize(mix), top: top.map((classId) => ({ classId, p: p[classId]! })) };
}
