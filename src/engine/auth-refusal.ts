/**
 * The engine's (or an authenticating gateway's) refusal of a client's credentials — 401 or 403 —
 * met on a read vlrerank makes on that client's behalf before its search can run: which engine
 * answers (`_nodes/_local`), what an alias names (`_resolve/index`). Such a read stands in for the
 * client's own request, so the client is answered the refusal as the engine gave it (status, body,
 * `WWW-Authenticate`), never a 502 "cannot tell the upstream engine" or a 400 "no pipeline covers"
 * (held-out probe round 13a: vlrerank with no credentials of its own behind a secured cluster
 * answered every reranked search 502; a tenant without rights to an alias got vlrerank's 400).
 * Never cached, never retried with other credentials than the client's.
 */
export class EngineRefusal extends Error {
  constructor(
    readonly status: number,
    /** The engine's answer headers as received (search/ picks those a client sees). */
    readonly headers: Record<string, string | string[] | undefined>,
    readonly body: Buffer,
  ) {
    super(`the engine refused the client's credentials (${status})`);
    this.name = 'EngineRefusal';
  }
}

export const isAuthRefusal = (status: number): boolean => status === 401 || status === 403;

export function isEngineRefusal(e: unknown): e is EngineRefusal {
  return e instanceof EngineRefusal;
}

/** The refusal of an answer already read (`text`). */
export function engineRefusal(status: number, headers: Record<string, string | string[] | undefined>, text: string | Buffer): EngineRefusal {
  return new EngineRefusal(status, headers, Buffer.isBuffer(text) ? text : Buffer.from(text));
}
