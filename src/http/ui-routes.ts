/**
 * Serves the demo UI at /_vlrerank/ui/ (the Vite build in dist/ui/public, made by `npm run build`),
 * the media endpoint its thumbnails use (/_vlrerank/media), and /_vlrerank/ui/samples.json: example
 * inputs found in the media roots (skimage pairs, Grocery in-store photos, Intel clips).
 * Registered by http/server.ts when config.server.ui is true. When the UI is not built it answers
 * with a message saying how to build it, never a bare 404.
 *
 * The page never receives the admin token from the server: the user pastes it (or `npm start`
 * prints a URL whose #fragment hands it to the page, which never reaches the server).
 */
import express, { Router } from 'express';
import { existsSync, readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ServerContext } from '../http/context.js';
import { mediaRouter } from './media.js';

/** dist/ui/public, found from this file whether it runs from src/ui (tsx) or dist/ui (compiled). */
export function uiDistDir(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg)) {
      try {
        if ((JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string }).name === 'vlrerank') return join(dir, 'dist', 'ui', 'public');
      } catch {
        /* keep looking */
      }
    }
    dir = dirname(dir);
  }
  return resolve(dirname(fileURLToPath(import.meta.url)), 'public');
}

export interface Samples {
  skimage: Array<{ name: string; description: string; image: string }>;
  groceryQueries: Array<{ image: string; class_name: string }>;
  videos: Array<{ video: string; label: string }>;
}

/** Example inputs from the demo data sets that sit in a media root (../shared/data layout). */
export async function findSamples(roots: readonly string[]): Promise<Samples> {
  const out: Samples = { skimage: [], groceryQueries: [], videos: [] };
  const lines = async (p: string) => (await readFile(p, 'utf8').catch(() => '')).split('\n').filter(Boolean);
  for (const r of roots.map((x) => resolve(x))) {
    for (const base of [r, join(r, '..')]) {
      const sk = join(base, 'skimage-clip-smoke');
      if (!out.skimage.length)
        for (const l of await lines(join(sk, 'descriptions.jsonl'))) {
          const d = JSON.parse(l) as { image: string; name: string; description: string };
          out.skimage.push({ name: d.name, description: d.description, image: join(sk, d.image) });
        }
      const gr = join(base, 'grocery-store-products');
      if (!out.groceryQueries.length) {
        const seen = new Set<string>();
        for (const l of (await lines(join(gr, 'queries.tsv'))).slice(1)) {
          const [image, , className] = l.split('\t');
          // one photo for every 8th product: a varied handful (apples, juices, milk, vegetables…)
          if (!image || !className || seen.has(className)) continue;
          seen.add(className);
          if (seen.size % 8 === 1) out.groceryQueries.push({ image: join(gr, image), class_name: className });
        }
      }
      const iv = join(base, 'intel-sample-videos');
      if (!out.videos.length)
        for (const l of await lines(join(iv, 'videos.jsonl'))) {
          const v = JSON.parse(l) as { file: string; label: string; kind: string };
          if (v.kind !== 'asl_gesture') out.videos.push({ video: join(iv, v.file), label: v.label });
        }
    }
  }
  return out;
}

export function uiRouter(ctx: ServerContext, options: { distDir?: string } = {}): Router {
  const r = Router();
  const dist = options.distDir ?? uiDistDir();
  let samples: Promise<Samples> | undefined;
  r.get('/ui/samples.json', async (_req, res, next) => {
    try {
      samples ??= findSamples(ctx.config.media.roots);
      res.json(await samples);
    } catch (e) {
      next(e);
    }
  });
  r.use('/ui', (req, res, next) => {
    if (existsSync(join(dist, 'index.html'))) return next();
    res
      .status(503)
      .type('text/plain')
      .send(`The vlrerank UI is not built (no ${join(dist, 'index.html')}).\nRun \`npm run build\` (or \`npm start\`, which builds it) and reload.\n`);
  });
  r.use('/ui', express.static(dist, { index: 'index.html', fallthrough: true, maxAge: 0, redirect: true }));
  r.use(mediaRouter(ctx));
  return r;
}
