/**
 * The discovery endpoints the rerank APIs' clients call to find the model name or check the server
 * (held-out probe round 31a: the engine answered them, an index of that name or a 405), each in its
 * vendor's own shape and honest about what vlrerank runs:
 * - `GET /v1/models`, OpenAI's and vLLM's list (`{object: "list", data: [{id, object: "model",
 *   created, owned_by, root, parent, max_model_len}]}`, vLLM's `ModelCard`): vLLM clients, LiteLLM,
 *   LangChain/LlamaIndex OpenAI-style integrations read the model name from it;
 * - `GET /info`, text-embeddings-inference's `Info` (router/src/lib.rs): `model_type: {reranker}`,
 *   `max_input_length`, `max_client_batch_size`… (TEI clients size their batches by it);
 * - `GET /models`, Infinity's `OpenAIModelInfo` (infinity_server.py `_models`, pymodels.py
 *   `ModelInfo`): `stats`, `capabilities: ["rerank"]`, `backend` — and `owned_by: "infinity"`, the
 *   one value its schema (a `Literal`) and its generated client (`ModelInfoOwnedBy`) accept;
 * - `GET /health`, Infinity's `{unix}` (TEI's and vLLM's clients read only the 200).
 * One model is listed, `vlrerank`: the name the rerank answers give when a request names none
 * (`model` is not checked: any name is answered as given). Its text model's id and the tokens it
 * reads (`max_model_len`, `max_input_length`) come from the reranker's text port; which of these
 * paths are served where (a path an engine also has is not) is the HTTP room's choice (rerank-routes.ts).
 * Never a model load: the text port is built, its weights load on first use as before.
 */
import { createRequire } from 'node:module';
import type { Reranker } from '../rerank/reranker.js';

const VERSION = (createRequire(import.meta.url)('../../package.json') as { version: string }).version;

/** The model name vlrerank's rerank answers give when a request names none. */
export const SERVED_MODEL = 'vlrerank';

/** Infinity's client sends this `model` when none is named (its RerankInput default). */
export const INFINITY_UNNAMED_MODEL = 'default/not-specified';

/** What the discovery answers need of the reranker: its text port (model id, tokens read) and its limits. */
export type DiscoveryReranker = Partial<Pick<Reranker, 'ports'>> & { options?: { maxDocuments?: number; maxConcurrentRequests?: number } };

interface Facts {
  /** The text model's id and the tokens it reads; absent when the reranker has no text port to ask. */
  text?: { id: string; maxTokens: number };
  maxDocuments: number;
  maxConcurrent: number;
}

/** When this process started serving (seconds): the `created` of the one model it lists, the same on every call. */
const STARTED = Math.floor(Date.now() / 1000);

async function factsOf(reranker: DiscoveryReranker): Promise<Facts> {
  // the reranker's own defaults (reranker.ts: maxDocuments 1000, maxConcurrentRequests 4)
  const base = { maxDocuments: reranker.options?.maxDocuments ?? 1000, maxConcurrent: reranker.options?.maxConcurrentRequests ?? 4 };
  if (!reranker.ports) return base;
  // a text model that cannot be set up (its files missing) fails every rerank with its own error:
  // the list still names the model, without the window it cannot tell
  const text = await reranker.ports().then(
    (p) => p.text,
    () => undefined,
  );
  if (!text) return base;
  // the port's id is its cache identity, `<model id>@<revision><variant>` (text-embedder.ts): the model id is its head
  return { ...base, text: { id: text.id.split('@')[0]!, maxTokens: text.maxTokens } };
}

/** `GET /v1/models` (OpenAI / vLLM). */
export async function openAiModels(reranker: DiscoveryReranker): Promise<Record<string, unknown>> {
  const f = await factsOf(reranker);
  return {
    object: 'list',
    data: [{ id: SERVED_MODEL, object: 'model', created: STARTED, owned_by: SERVED_MODEL, root: f.text?.id ?? SERVED_MODEL, parent: null, ...(f.text ? { max_model_len: f.text.maxTokens } : {}) }],
  };
}

/** `GET /info` (text-embeddings-inference). */
export async function teiInfo(reranker: DiscoveryReranker): Promise<Record<string, unknown>> {
  const f = await factsOf(reranker);
  const maxInput = f.text?.maxTokens ?? null;
  return {
    model_id: SERVED_MODEL,
    model_sha: null,
    // several models (text, image, OCR), each at its manifest's precision (bge-small: int8): no one dtype
    model_dtype: 'mixed',
    served_model_name: SERVED_MODEL,
    // one output, the relevance score in [0, 1] (TEI lists a reranker's labels so)
    model_type: { reranker: { id2label: { '0': 'relevance' }, label2id: { relevance: 0 } } },
    max_concurrent_requests: f.maxConcurrent,
    max_input_length: maxInput,
    // the most tokens one request's texts are read to: every text at the model's window
    max_batch_tokens: maxInput === null ? null : maxInput * f.maxDocuments,
    max_batch_requests: null,
    max_client_batch_size: f.maxDocuments,
    // a longer text is cut at the window, never refused (rerank-tei.ts)
    auto_truncate: true,
    tokenization_workers: 1,
    version: VERSION,
    sha: null,
    docker_label: null,
  };
}

/** `GET /models` (Infinity). */
export async function infinityModels(reranker: DiscoveryReranker): Promise<Record<string, unknown>> {
  const f = await factsOf(reranker);
  return {
    object: 'list',
    data: [
      {
        id: SERVED_MODEL,
        stats: { batch_size: f.maxDocuments },
        object: 'model',
        owned_by: 'infinity',
        created: STARTED,
        backend: SERVED_MODEL,
        capabilities: ['rerank'],
        ...(f.text ? { text_model: f.text.id, max_input_length: f.text.maxTokens } : {}),
      },
    ],
  };
}

/** `GET /health` (Infinity's shape; TEI's and vLLM's clients read the status alone). */
export function healthUnix(): Record<string, unknown> {
  return { unix: Date.now() / 1000 };
}
