// examples/rerank-api: the process() library call and the curl script against a real server.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { rankExample } from '../../examples/rerank-api/process.js';
import { startServer, type RunningServer } from '../../src/server/start.js';
import { parseConfig } from '../../src/config/load.js';
import { DATA, MODELS, REPO_ROOT } from '../helpers/paths.js';

describe('examples/rerank-api', () => {
  it('process.ts ranks text, image and video candidates with 0..1 scores, the rocket photo on top', async () => {
    const ranked = await rankExample(DATA, MODELS);
    expect(ranked).toHaveLength(5);
    for (const r of ranked) expect(r.score).toBeGreaterThanOrEqual(0), expect(r.score).toBeLessThanOrEqual(1);
    expect(ranked.map((r) => r.score)).toEqual([...ranked.map((r) => r.score)].sort((a, b) => b - a));
    expect([1, 4]).toContain(ranked[0]!.index); // the two candidates holding rocket.jpg
    expect(ranked[ranked.length - 1]!.index).toBe(0); // pasta
  });

  describe('curl.sh against a running server', () => {
    let srv: RunningServer;
    beforeAll(async () => {
      srv = await startServer(parseConfig({ server: { port: 0, ui: false }, log: { level: 'silent' }, models: { dir: MODELS }, media: { roots: [DATA] }, upstream: { urls: ['http://127.0.0.1:1'] } }));
    });
    afterAll(async () => {
      await srv?.close();
    });
    it('both endpoints answer with ranked results', async () => {
      const out = await new Promise<string>((ok, fail) =>
        execFile('bash', [join(REPO_ROOT, 'examples/rerank-api/curl.sh')], { env: { ...process.env, VLRERANK_URL: srv.url, DATA_DIR: DATA }, timeout: 110_000 }, (e, stdout, stderr) =>
          e ? fail(new Error(`${e.message}\n${stdout}\n${stderr}`)) : ok(stdout),
        ),
      );
      const bodies = out.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown>);
      expect(bodies).toHaveLength(2);
      const own = bodies[0] as { results: Array<{ index: number; score: number }> };
      expect(own.results).toHaveLength(4);
      expect(own.results[0]!.index).toBe(1); // rocket.jpg
      const cohere = bodies[1] as { results: Array<{ index: number; relevance_score: number }> };
      expect(cohere.results).toHaveLength(3);
      expect(cohere.results[0]!.index).toBe(1);
      expect(cohere.results[0]!.relevance_score).toBeGreaterThan(cohere.results[2]!.relevance_score);
    });
  });
});
