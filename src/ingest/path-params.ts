/**
 * The query parameters of a write's path as the client sent it (`/kb/_bulk?routing=r&pipeline=p`):
 * a `_bulk`'s default `routing` for its actions, the engine ingest `pipeline` its documents run
 * through, the `refresh`/`if_seq_no` a completing write carries over.
 */
export function pathParams(path: string): URLSearchParams {
  const q = path.indexOf('?');
  return new URLSearchParams(q < 0 ? '' : path.slice(q + 1));
}

/** One query parameter of the path, or undefined when it has none. */
export function pathParam(path: string, name: string): string | undefined {
  return pathParams(path).get(name) ?? undefined;
}
