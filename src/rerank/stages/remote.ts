/**
 * The remote fan-out: the whole request goes to the remote `/v1/rerank` workers at the start and
 * runs alongside the local work; its scores (or its error) are collected before fusion. With both
 * backends a remote failure is reported and the local signals carry the score; with the remote
 * backend alone it fails the request.
 */
import { toVlrerankError, type VlrerankError } from '../../errors.js';
import type { RemoteScorerPort } from '../ports.js';
import type { RequestPlan } from './request.js';

type RemoteScores = Awaited<ReturnType<RemoteScorerPort['score']>>;

export interface RemoteOutcome {
  scores?: number[];
  error?: VlrerankError;
  info?: { model?: string; worker: string };
  /** The worker confirmed it used the instruction. */
  instructionUsed?: boolean;
  /** Tokens the worker says it read (its `usage.total_tokens`). */
  tokens?: number;
  /** Documents sent without their media (not readable here): scored on their text, reported in `errors`. */
  documentErrors?: Array<{ index: number; error: VlrerankError }>;
}

/**
 * Send the request to the remote workers now (when the plan uses them); settle with `settleRemote`.
 * `budgetMs`: what the request's own budget leaves them (rerank/budget.ts), sent on as the
 * worker's `x-vlrerank-budget-ms`, so that a vlrerank worker gives up its late media in time too.
 */
export function startRemote(p: RequestPlan, remote: RemoteScorerPort | undefined, signal: AbortSignal | undefined, budgetMs?: number): Promise<RemoteScores> | undefined {
  if (!p.useRemote) return undefined;
  const { req } = p;
  const pending = remote!.score({ query: req.query, documents: req.documents.map(({ text, image, video }) => ({ text, image, video })), instruction: req.instruction, signal, ...(budgetMs !== undefined ? { budgetMs } : {}) });
  pending.catch(() => undefined); // settled later; an early failure must not go unhandled meanwhile
  return pending;
}

export async function settleRemote(pending: Promise<RemoteScores> | undefined, useLocal: boolean): Promise<RemoteOutcome> {
  if (!pending) return {};
  try {
    const r = await pending;
    return { scores: r.scores, info: { model: r.model, worker: r.worker }, instructionUsed: r.instructionUsed === true, ...(r.tokens !== undefined ? { tokens: r.tokens } : {}), ...(r.documentErrors ? { documentErrors: r.documentErrors } : {}) };
  } catch (e) {
    const error = toVlrerankError(e);
    if (!useLocal) throw error;
    return { error };
  }
}
