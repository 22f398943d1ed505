/**
 * The `local` scorer backend: the ONNX models of this install (bge, EfficientNet, NanoDet, and a
 * trained CLIP when one is installed) on CPU or CUDA (`device: auto|cpu|cuda`; onnxruntime-node's
 * CUDA provider where the machine has one). The signals themselves live in ../signals and
 * ../score.ts; this module builds the ports over the shared Models and reports the providers.
 */
import type { Models } from '../../models/index.js';
export { portsFromShared as localPorts, createLocalPorts } from '../adapters.js';

/** Provider (cpu/cuda) actually used by each loaded model, for /_vlrerank/models and logs. */
export function localProviders(models: Models): Record<string, string | undefined> {
  return Object.fromEntries(models.list().map((m) => [m.id, m.provider]));
}
