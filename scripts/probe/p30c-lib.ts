/** Held-out probe round 30c: helpers — a server in-process on port 0, a rerank with photos and a clip. */
import { mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfig } from '../../src/config/load.js';
import { startServer } from '../../src/server/start.js';
import { DATA, MODELS, REPO_ROOT } from '../../test/helpers/paths.js';

export const ES = 'http://127.0.0.1:19200';
const g = join(DATA, 'grocery-store-products');
export const PHOTOS = readFileSync(join(g, 'catalog.jsonl'), 'utf8').trim().split('\n').map((l) => join(g, (JSON.parse(l) as { iconic_image: string }).iconic_image));
export const CLIPS = readdirSync(join(DATA, 'intel-sample-videos', 'clips')).filter((f) => f.endsWith('.mp4')).map((f) => join(DATA, 'intel-sample-videos', 'clips', f));

export function start(over: Record<string, any> = {}) {
  const cacheDir = over.cacheDir ?? mkdtempSync(join(tmpdir(), 'p30c-cache-'));
  return startServer(
    parseConfig({
      server: { host: '127.0.0.1', port: 0, ui: false, ...(over.server ?? {}) },
      upstream: { urls: [over.upstream ?? ES] },
      log: { level: process.env.P30C_LOG ?? 'silent', access: false },
      models: { dir: MODELS },
      media: { roots: [DATA], ...(over.media ?? {}) },
      rerank: { cacheDir, ...(over.rerank ?? {}) },
      pipelines: { dir: join(REPO_ROOT, 'pipelines') },
      ...(over.store ? { store: over.store } : {}),
    }),
  );
}

export async function rerank(url: string, n = 4, clip = false, seed = 0): Promise<{ status: number; body: any }> {
  const docs: any[] = [];
  for (let i = 0; i < n; i++) docs.push({ text: `product ${i}`, image: PHOTOS[(seed + i) % PHOTOS.length] });
  if (clip) docs.push({ text: 'a clip', video: CLIPS[seed % CLIPS.length] });
  const res = await fetch(`${url}/v1/rerank`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: 'green apple', documents: docs }) });
  const text = await res.text();
  let body: any = text;
  try { body = JSON.parse(text); } catch {}
  return { status: res.status, body };
}

export const fds = () => readdirSync('/proc/self/fd').length;
export const rssMb = () => Math.round(process.memoryUsage().rss / 1e6);
export const t = () => performance.now();
