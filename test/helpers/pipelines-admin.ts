/**
 * The pipelines admin endpoints of a running server, as the replica tests read them: a GET's JSON,
 * the names of the pipelines serving, and `POST /_vlrerank/pipelines/_reload` with an admin token.
 */
export const getJson = async (url: string, path: string): Promise<any> => (await fetch(`${url}${path}`)).json();

/** The names of the pipelines a server serves, sorted. */
export const pipelineNames = async (url: string): Promise<string[]> => (await getJson(url, '/_vlrerank/pipelines')).pipelines.map((p: { name: string }) => p.name).sort();

export async function reloadPipelines(url: string, token: string): Promise<{ status: number; body: any }> {
  const r = await fetch(`${url}/_vlrerank/pipelines/_reload`, { method: 'POST', headers: { authorization: `Bearer ${token}` } });
  return { status: r.status, body: await r.json() };
}
