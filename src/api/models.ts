/**
 * Model administration as plain handlers: the list (every manifest with state, provider, memory,
 * and the reranker's calibration source), and the lazy load/unload of one model — the server
 * starts without loading weights, a model loads on first use or on `_load`, `_unload` releases its
 * sessions. Load/unload need `server.adminToken` (`authorization: Bearer …` or
 * `x-vlrerank-admin-token`, compared in constant time over SHA-256 digests; only in a header, never
 * a query string, which ends up in logs); without a configured token they refuse.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { vlrError } from '../errors.js';
import type { Models } from '../models/index.js';
import type { Reranker } from '../rerank/reranker.js';

export interface ModelsDeps {
  models: Models;
  reranker?: Pick<Reranker, 'calibrator'>;
  device: string;
}

const digest = (s: string) => createHash('sha256').update(s).digest();

/** Throws VLR_UNAUTHORIZED unless the request carries the configured admin token. */
export function checkAdmin(adminToken: string | undefined, headers: { authorization?: string; 'x-vlrerank-admin-token'?: string | string[] }): void {
  if (!adminToken) throw vlrError('VLR_UNAUTHORIZED', 'admin endpoints are disabled: set server.adminToken (VLRERANK_ADMIN_TOKEN)');
  const auth = headers.authorization;
  const given = typeof auth === 'string' && /^bearer /i.test(auth) ? auth.slice(7).trim() : (headers['x-vlrerank-admin-token'] as string | undefined);
  // digests of equal length: the comparison's time tells nothing, not even the token's length
  if (typeof given !== 'string' || !timingSafeEqual(digest(given), digest(adminToken))) throw vlrError('VLR_UNAUTHORIZED', 'missing or wrong admin token (send it in the authorization or x-vlrerank-admin-token header; never in the URL)');
}

export function listModels(deps: ModelsDeps): Record<string, unknown> {
  const { reranker } = deps;
  return {
    device: deps.device,
    models: deps.models.list(),
    ...(reranker ? { calibration: { source: reranker.calibrator.source, signals: reranker.calibrator.describe() } } : {}),
  };
}

export async function modelAction(deps: ModelsDeps, id: string, action: '_load' | '_unload'): Promise<Record<string, unknown>> {
  const m = deps.models;
  if (!m.registry.list().some((x) => x.id === id)) throw vlrError('VLR_MODEL_NOT_FOUND', `no model [${id}]`, { details: { model: id } });
  const info = action === '_load' ? await m.load(id) : await m.unload(id);
  return { acknowledged: true, model: info };
}
