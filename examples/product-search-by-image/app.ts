/**
 * A tiny product page that finds products like an uploaded photo. The only search code is an
 * ordinary `client.search()` of the UNMODIFIED official Elasticsearch client, pointed at the
 * vlrerank proxy instead of the cluster: vlrerank sees `ext.vlrerank.query.image`, runs kNN on
 * the catalog photos' vectors (added at ingest) and reranks the hits by what the photos show.
 *
 *   ES_URL=http://127.0.0.1:9280 INDEX=grocery npx tsx examples/product-search-by-image/app.ts
 *   open http://127.0.0.1:3000/
 */
import express from 'express';
import { Client } from '@elastic/elasticsearch';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface Product {
  id: string;
  title: string;
  description?: string;
  image?: string;
  score: number | null;
}

export function createApp(options: { esUrl: string; index: string }) {
  // Exactly what an application already has — only the URL points at vlrerank.
  const client = new Client({ node: options.esUrl });
  const app = express();

  app.get('/', (_req, res) => {
    res.type('html').send(`<!doctype html><html lang="en"><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>Find a product by photo</title>
<style>body{font-family:system-ui,sans-serif;max-width:48rem;margin:2rem auto;padding:0 1rem}li{margin:.5rem 0}img{max-width:120px;vertical-align:middle;margin-right:1rem}</style>
<h1>Find a product by photo</h1>
<label>Photo of a product: <input type="file" id="photo" accept="image/*"></label>
<ol id="out" aria-live="polite"></ol>
<script>
document.getElementById('photo').addEventListener('change', async (e) => {
  const f = e.target.files[0]; if (!f) return;
  const out = document.getElementById('out'); out.textContent = 'Searching…';
  const r = await fetch('/search', { method: 'POST', headers: { 'content-type': f.type || 'image/jpeg' }, body: f });
  const body = await r.json();
  out.replaceChildren(...(body.products || []).map((p) => { const li = document.createElement('li'); li.textContent = p.title + ' (' + (p.score ?? 0).toFixed(3) + ')'; return li; }));
  if (!r.ok) out.textContent = body.error || 'search failed';
});
</script></html>`);
  });

  // The photo arrives as the raw request body (no multipart library needed for one file).
  app.post('/search', express.raw({ type: 'image/*', limit: '10mb' }), async (req, res) => {
    if (!Buffer.isBuffer(req.body) || req.body.length === 0) {
      res.status(400).json({ error: 'send an image as the request body (content-type image/*)' });
      return;
    }
    try {
      const result = await client.search<{ title: string; description?: string; image?: string }>({
        index: options.index,
        size: 5,
        _source: ['title', 'description', 'image'],
        ext: { vlrerank: { query: { image: req.body.toString('base64') } } },
      });
      const products: Product[] = result.hits.hits.map((h) => ({ id: h._id!, title: h._source!.title, description: h._source!.description, image: h._source!.image, score: h._score ?? null }));
      res.json({ products, vlrerank: (result as unknown as { vlrerank?: unknown }).vlrerank });
    } catch (e) {
      res.status(502).json({ error: (e as Error).message });
    }
  });
  return { app, client };
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const { app } = createApp({ esUrl: process.env.ES_URL ?? 'http://127.0.0.1:9280', index: process.env.INDEX ?? 'grocery' });
  const port = Number(process.env.PORT ?? 3000);
  app.listen(port, '127.0.0.1', () => console.log(`product page on http://127.0.0.1:${port}/ (searching ${process.env.ES_URL ?? 'http://127.0.0.1:9280'})`));
}
