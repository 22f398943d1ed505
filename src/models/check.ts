/**
 * The start-up check of what a configuration says about models (issue 13 §4): every model id it
 * names (`models.precision` keys, `rerank.clipModel`) has a manifest, every precision variant it
 * asks for has a file for each of the model's ONNX roles, and those files are on disk at their
 * manifest size. Run by the server before it listens and by `vlrerank rerank` before it loads a
 * model, so a bad entry stops the start with VLR_CONFIG_INVALID naming the key and the fix,
 * instead of surfacing later as a failed warm-up and degraded searches.
 *
 * Reads manifests and file sizes only: never hashes weights (that is `models verify`), never
 * loads a session, never touches the network.
 */
import { vlrError } from '../errors.js';
import { onnxFile, requiredFiles, type Manifest, type Precision } from './manifest.js';
import { checkFile, isUsable, type ModelRegistry } from './registry.js';

export interface ModelConfigRefs {
  /** `models.precision`: precision variant per model id. */
  precision: Record<string, Precision>;
  /** `rerank.clipModel`. */
  clipModel?: string;
}

function invalid(key: string, message: string): never {
  throw vlrError('VLR_CONFIG_INVALID', `${key}: ${message}`, { details: { key } });
}

/** Throws VLR_CONFIG_INVALID for the first model reference of the configuration that cannot work. */
export async function checkModelConfig(refs: ModelConfigRefs, registry: ModelRegistry): Promise<void> {
  const known = () => [...registry.manifests.keys()].join(', ');
  const manifest = (key: string, id: string): Manifest => registry.manifests.get(id) ?? invalid(key, `no model with id [${id}] (known: ${known()}); fix the id or remove the entry`);

  const files = async (key: string, m: Manifest, precision?: Precision) => {
    for (const f of requiredFiles(m, precision)) {
      const c = await checkFile(m.id, f, registry.filePath(m.id, f), false);
      if (c.status === 'missing') invalid(key, `model ${m.id} needs ${c.path}, which is not on disk; run: vlrerank models pull ${m.id}${precision ? ` (or remove the entry)` : ''}, or point models.dir at the folder holding it`);
      if (!isUsable(c.status)) invalid(key, `model ${m.id}: ${c.path} is corrupt (${c.detail}); run: vlrerank models pull ${m.id}`);
    }
  };

  for (const [id, precision] of Object.entries(refs.precision)) {
    const key = `models.precision.${id}`;
    const m = manifest(key, id);
    const roles = [...new Set(m.files.filter((f) => f.role.startsWith('onnx:')).map((f) => f.role.slice(5)))];
    if (!roles.length) invalid(key, `model ${id} has no ONNX file to choose a precision for; remove the entry`);
    for (const role of roles) {
      try {
        onnxFile(m, role, precision);
      } catch {
        const have = [...new Set(m.files.filter((f) => f.role === `onnx:${role}`).map((f) => f.precision ?? m.defaultPrecision))].join(', ');
        invalid(key, `model ${id} has no ${precision} variant (available: ${have}); set one of those or remove the entry`);
      }
    }
    await files(key, m, precision);
  }

  if (refs.clipModel !== undefined) {
    const key = 'rerank.clipModel';
    const m = manifest(key, refs.clipModel);
    if (m.task !== 'image-text-dual-encoder') invalid(key, `model ${m.id} is a ${m.task}, not a CLIP-family image-text dual encoder; name one or remove the setting`);
    if (!m.forRanking) invalid(key, `model ${m.id} has random weights (a test fixture) and cannot rank; name a trained model or remove the setting`);
    await files(key, m, refs.precision[m.id]);
  }
}
