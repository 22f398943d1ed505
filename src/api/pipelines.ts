/**
 * The pipelines a server serves, as plain handlers: `GET /_vlrerank/pipelines` (each pipeline's
 * name, index patterns, default flag and source file, and the set's generation and when it was
 * loaded), `GET /_vlrerank/pipelines/<name>` (one pipeline whole, as validated, defaults filled in)
 * and `POST /_vlrerank/pipelines/_reload` (behind the admin token, as the models' load/unload).
 *
 * A pipeline may carry secrets in its strings — a `fields.media_base` URL with `user:password@` or
 * a `?token=`, a description pasting one — so what is shown goes through the log's redactor
 * (observability/redact.ts): what the logs would never print, these answers never show.
 */
import { vlrError } from '../errors.js';
import { redactObject } from '../observability/redact.js';
import type { LivePipelines, Pipeline } from '../pipelines/index.js';
import { checkAdmin } from './models.js';

export interface PipelinesDeps {
  live: LivePipelines;
  /** Re-reads the folder and replaces the set (server/pipelines-reload.ts); rejects with VLR_PIPELINE_INVALID. */
  reloader: { reload(): Promise<object> };
  /** `pipelines.dir` as configured. */
  dir: string;
}

const summary = (p: Pipeline) => redactObject({ name: p.name, index_patterns: p.index_patterns, default: p.default, source: p.source, ...(p.description !== undefined ? { description: p.description } : {}) });

/** The set serving now: its generation, when it was loaded, and each pipeline's summary. */
export function listPipelines(deps: PipelinesDeps): Record<string, unknown> {
  const g = deps.live.generation;
  return { generation: g.generation, loaded_at: g.loadedAt, digest: g.digest, dir: deps.dir, pipelines: g.registry.pipelines.map(summary) };
}

/** One pipeline of the set serving, whole (defaults filled in); 404 naming the ones there are. */
export function getPipeline(deps: PipelinesDeps, name: string): Record<string, unknown> {
  const g = deps.live.generation;
  const p = g.registry.get(name);
  if (!p) {
    const names = g.registry.pipelines.map((x) => x.name);
    const shown = names.length > 20 ? `${names.slice(0, 20).join(', ')} and ${names.length - 20} more` : names.join(', ') || 'none';
    throw vlrError('VLR_NOT_FOUND', `no vlrerank pipeline [${name}] in generation ${g.generation} (loaded: ${shown})`, { details: { pipeline: name } });
  }
  return { generation: g.generation, loaded_at: g.loadedAt, pipeline: redactObject({ ...p }) };
}

/** Re-read the pipelines folder (admin token); a refused set is VLR_PIPELINE_INVALID (400), the set serving kept. */
export async function reloadPipelines(deps: PipelinesDeps, adminToken: string | undefined, headers: Parameters<typeof checkAdmin>[1]): Promise<object> {
  checkAdmin(adminToken, headers);
  return deps.reloader.reload();
}
