/**
 * The JSON worker thread belongs to the server (issue 13 §2, built by the composition root): it
 * runs from the moment the server starts, large bodies are parsed in it, and a closed server
 * leaves no such thread behind (nor any other worker thread it started). Threads are read from
 * Node's diagnostic report, which lists every worker thread of the process.
 */
import { request } from 'undici';
import { describe, expect, it } from 'vitest';
import { SMALL_BODY } from '../../../src/http/body.js';
import { useEngine } from '../../helpers/engines.js';
import { startEdgeServer } from '../../helpers/http-server.js';

/** Thread ids of this process's worker threads. */
function workerThreads(): number[] {
  const report = process.report.getReport() as unknown as { workers: Array<{ header: { threadId: number } }> };
  return report.workers.map((w) => w.header.threadId);
}

describe('the JSON worker thread', () => {
  it('runs from the start, parses large bodies, and is gone once the server is closed', async () => {
    const es = await useEngine('elasticsearch');
    const before = workerThreads();
    const srv = await startEdgeServer({ upstream: es });
    const id = srv.services.jsonWorker.threadId;
    try {
      expect(id).toBeGreaterThan(0); // started with the server, not by the first large body
      // a large /v1/rerank body is parsed in it: a refusal the worker finds (not JSON) comes back shaped
      const body = `{"query":"q","documents":["${'x'.repeat(SMALL_BODY)}"]`;
      const r = await request(`${srv.url}/v1/rerank`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
      expect(r.statusCode).toBe(400);
      expect(((await r.body.json()) as { error: { vlrerank_code: string } }).error.vlrerank_code).toBe('VLR_PARSE');
      expect(srv.services.jsonWorker.threadId).toBe(id); // the same thread throughout
      expect(workerThreads()).toContain(id);
    } finally {
      await srv.close();
    }
    expect(srv.services.jsonWorker.threadId).toBeUndefined();
    expect(workerThreads()).not.toContain(id);
    expect(workerThreads().filter((t) => !before.includes(t))).toEqual([]); // no thread of the server's left at all
  });
});
