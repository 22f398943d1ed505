/**
 * An image's way into text space: its visual passage (what was detected, then the top labels, as
 * text) and its ConSE bridge vector (label embeddings mixed by class probability), memoised per
 * image so a photo seen in many requests costs its softmax / top-k work once. The passage still
 * needs the text model; its vector mixed with the bridge is the image's "visual text" vector,
 * kept here too (`mixed`).
 * Pure computation over features already extracted: never runs a model itself.
 */
import type { VisualFeatures } from '../features/records.js';
import type { ConceptBank } from './signals/concept-bank.js';
import { bridgeVector, DEFAULT_BRIDGE, type BridgeSettings } from './signals/conse-bridge.js';
import { visualVector, type VisualMix } from './signals/text-image.js';
import { asFloat16 } from '../util/vector-codec.js';
import { DEFAULT_VISUAL_PASSAGE, visualPassage, type VisualPassageSettings } from './signals/visual-passage.js';

export interface VisualText {
  /** The visual passage, to be embedded as a passage. */
  passage: string;
  /** The ConSE vector (unit length, text space). */
  bridge: Float32Array;
  /** The top concepts' short names, for explanations. */
  concepts: string[];
}

export class VisualTextMemo {
  readonly #bridge: BridgeSettings;
  readonly #vp: VisualPassageSettings;
  readonly #memo = new WeakMap<Float32Array, VisualText & { bank: string; detections: unknown }>();
  /** Each bridge's visual vector as last mixed, with the passage vector and weight it was mixed from. */
  readonly #mixed = new WeakMap<Float32Array, { passage: Float32Array; w: number; out: Float32Array }>();

  constructor(settings: { bridge?: Partial<BridgeSettings>; visualPassage?: Partial<VisualPassageSettings> } = {}) {
    this.#bridge = { ...DEFAULT_BRIDGE, ...(settings.bridge ?? {}) };
    this.#vp = { ...DEFAULT_VISUAL_PASSAGE, ...(settings.visualPassage ?? {}) };
  }

  /** Passage and bridge of one image's features, from the memo when the same image was seen. */
  of(f: Pick<VisualFeatures, 'logits' | 'detections'>, bank: ConceptBank, classNames: string[]): VisualText {
    // keyed by the logits array: the feature cache hands out the same arrays for the same image,
    // even when it wraps them in a new features object per call
    const hit = this.#memo.get(f.logits);
    if (hit && hit.bank === bank.key && hit.detections === f.detections) return hit;
    const v = { bank: bank.key, detections: f.detections, ...this.compute(f, bank, classNames) };
    this.#memo.set(f.logits, v);
    return v;
  }

  /**
   * visualVector (signals/text-image.ts), mixed once per image: a photo seen in many requests keeps
   * the same bridge object (this memo) and the same passage vector object (the text-vector cache),
   * so a warm request takes its vector back instead of mixing 384 floats again. Kept weakly by the
   * bridge; the passage vector and the weight must be the same too. The vector returned is shared:
   * never mutate it.
   */
  mixed(passageVec: Float32Array, bridgeVec: Float32Array, mix: VisualMix): Float32Array {
    const kept = this.#mixed.get(bridgeVec);
    if (kept && kept.passage === passageVec && kept.w === mix.passage) return kept.out;
    const out = visualVector(passageVec, bridgeVec, mix);
    this.#mixed.set(bridgeVec, { passage: passageVec, w: mix.passage, out });
    return out;
  }

  /** Passage and bridge computed afresh (no memo). */
  compute(f: Pick<VisualFeatures, 'logits' | 'detections'>, bank: ConceptBank, classNames: string[]): VisualText {
    const passage = visualPassage(f.detections, f.logits, classNames, this.#vp);
    const b = bridgeVector(f.logits, bank.vectors, this.#bridge);
    // the bridge as a feature record keeps it (float16): a hit scored from its record in the index
    // and the same pair computed on the fly answered text_image 0.536601 vs 0.536589 (round 10a)
    return { passage, bridge: asFloat16(b.vector), concepts: b.top.slice(0, 5).map((t) => shortLabel(classNames[t.classId]!)) };
  }
}

function shortLabel(className: string): string {
  return className.split(',')[0]!.trim();
}
