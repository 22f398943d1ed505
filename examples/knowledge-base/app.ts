/**
 * A knowledge-base endpoint: `GET /ask?q=…` answers a text question with the best SciFact
 * abstracts. It uses OpenSearch's own reranking syntax — `search_pipeline=<name>` plus
 * `ext.rerank.query_context.query_text` — through the official `@opensearch-project/opensearch`
 * client, pointed at vlrerank. vlrerank recognises the syntax, takes the BM25 top `window`
 * from OpenSearch and reranks it with its text models (the pipeline `knowledge-base` in
 * pipelines/knowledge-base.yaml), so the same code works on OpenSearch versions whose own
 * rerank processor is absent, and in front of Elasticsearch too.
 *
 *   OPENSEARCH_URL=http://127.0.0.1:9280 INDEX=scifact npx tsx examples/knowledge-base/app.ts
 *   curl 'http://127.0.0.1:3001/ask?q=vitamin+D+deficiency+and+bone+fractures'
 */
import express from 'express';
import { Client } from '@opensearch-project/opensearch';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface Answer {
  id: string;
  title: string;
  snippet: string;
  score: number | null;
}

export function createApp(options: { url: string; index: string; pipeline?: string }) {
  const client = new Client({ node: options.url });
  const app = express();

  app.get('/ask', async (req, res) => {
    const q = typeof req.query.q === 'string' ? req.query.q.trim() : '';
    if (!q) {
      res.status(400).json({ error: 'ask with ?q=your question' });
      return;
    }
    try {
      const r = await client.search({
        index: options.index,
        search_pipeline: options.pipeline ?? 'knowledge-base',
        body: {
          size: 5,
          query: { multi_match: { query: q, fields: ['title^2', 'text'] } },
          ext: { rerank: { query_context: { query_text: q } } },
        },
      });
      const hits = r.body.hits.hits as Array<{ _id: string; _score?: number | null; _source?: { title?: string; text?: string } }>;
      const answers: Answer[] = hits.map((h) => ({ id: h._id, title: h._source?.title ?? '', snippet: (h._source?.text ?? '').slice(0, 240), score: h._score ?? null }));
      res.json({ question: q, answers });
    } catch (e) {
      res.status(502).json({ error: (e as Error).message });
    }
  });
  return { app, client };
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const url = process.env.OPENSEARCH_URL ?? 'http://127.0.0.1:9280';
  const { app } = createApp({ url, index: process.env.INDEX ?? 'scifact' });
  const port = Number(process.env.PORT ?? 3001);
  app.listen(port, '127.0.0.1', () => console.log(`knowledge base on http://127.0.0.1:${port}/ask?q=… (searching ${url})`));
}
