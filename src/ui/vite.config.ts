/**
 * Vite 7 build of the demo UI: plain TypeScript, no framework, no external CDN or fonts.
 * Built by `npm run build` into dist/ui/public, which src/http/ui-routes.ts serves at /_vlrerank/ui/.
 * (dist/ui/ itself holds the compiled server-side serve.js/media.js, so the static files get
 * their own folder and the server code is never served.)
 */
import { defineConfig } from 'vite';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));

export default defineConfig({
  root: here,
  // relative: the page's assets resolve under whatever path a reverse proxy serves it at
  base: './',
  publicDir: false,
  logLevel: 'warn',
  build: {
    outDir: resolve(here, '../../dist/ui/public'),
    emptyOutDir: true,
    target: 'es2022',
    assetsInlineLimit: 0,
    sourcemap: false,
  },
});
