/**
 * An image's way into text space: its visual passage (what was detected, then the top labels, as
 * text) and its ConSE bridge vector (label embeddings mixed by class probability), memoised per
 * image so a photo seen in many requests costs its softmax / top-k work once. The passage still
 * needs the text model; its vector mixed with the bridge is the image's "visual text" vector.
 * Pure computation over features already extracted: never runs a model itself.
 */
import type { VisualFeatures } from '../features/records.js';
import type { ConceptBank } from './signals/concept-bank.js';
import { bridgeVector, DEFAULT_BRIDGE, type BridgeSettings } from './signals/conse-bridge.js';
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

  /** Passage and bridge computed afresh (no memo). */
  compute(f: Pick<VisualFeatures, 'logits' | 'detections'>, bank: ConceptBank, classNames: string[]): VisualText {
    const passage = visualPassage(f.detections, f.logits, classNames, this.#vp);
    const b = bridgeVector(f.logits, bank.vectors, this.#bridge);
    return { passage, bridge: b.vector, concepts: b.top.slice(0, 5).map((t) => shortLabel(classNames[t.classId]!)) };
  }
}

function shortLabel(className: string): string {
  return className.split(',')[0]!.trim();
}
