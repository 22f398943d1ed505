/**
 * Held-out probe round 24c, part 5: an older build (the branch point, codec format 1, no checksum)
 * and this one (format 2) serving from one disk-tier folder, in turn and at once: are records ever
 * mixed (a format-1 record used by this build or the reverse), are scores the same?
 * Usage: npx tsx scripts/probe/p24c-builds.ts <old checkout>
 */
import { spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import { baseEnv, diff, health, metrics, photos, ready, rerank, serve, sleep, stop, type Serve } from './p24c-lib.js';

const oldRoot = process.argv[2] ?? '/tmp/p24c/old';
const folder = '/tmp/p24c/builds';
rmSync(folder, { recursive: true, force: true });
const log = (...a: unknown[]) => console.log(...a);
async function serveOld(port: number): Promise<Serve> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'serve', '--port', String(port)], { cwd: oldRoot, env: baseEnv({ VLRERANK_STORE_DISK_PATH: folder }), stdio: ['ignore', 'pipe', 'pipe'] });
  const s: Serve = { port, url: `http://127.0.0.1:${port}`, child, log: '' };
  child.stdout!.on('data', (c: Buffer) => (s.log += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (s.log += c.toString()));
  await ready(s);
  return s;
}
const servers: Serve[] = [];
try {
  const old = await serveOld(19562);
  servers.push(old);
  const docs = [...photos('coco', 4, 60).map((image) => ({ text: 'a photo', image })), 'a man riding a horse', 'a bowl of soup'];
  const a = await rerank(old.url, 'people outdoors', docs);
  await sleep(1500);
  const fresh = await serve(19563, folder);
  servers.push(fresh);
  const m0 = await metrics(fresh.url);
  const b = await rerank(fresh.url, 'people outdoors', docs);
  await sleep(1500);
  log('old wrote, new read: scores equal', JSON.stringify(a.scores) === JSON.stringify(b.scores), a.scores, b.scores, diff(m0, await metrics(fresh.url)), JSON.stringify((await health(fresh.url)).disk));
  const m1 = await metrics(old.url);
  const c = await rerank(old.url, 'people outdoors', docs);
  await sleep(1500);
  log('new rewrote, old read: scores equal', JSON.stringify(a.scores) === JSON.stringify(c.scores), diff(m1, await metrics(old.url)), JSON.stringify((await health(old.url)).disk));
  // at once, new photos, both builds
  const docs2 = photos('coco', 6, 70).map((image) => ({ image }));
  const [x, y] = await Promise.all([rerank(old.url, 'animals', docs2), rerank(fresh.url, 'animals', docs2)]);
  log('at once: statuses', x.status, y.status, 'equal', JSON.stringify(x.scores) === JSON.stringify(y.scores));
  for (let i = 0; i < 3; i++) {
    const [p, q] = await Promise.all([rerank(old.url, 'animals', docs2), rerank(fresh.url, 'animals', docs2)]);
    log(`  again ${i}: equal to the first`, JSON.stringify(p.scores) === JSON.stringify(x.scores), JSON.stringify(q.scores) === JSON.stringify(x.scores));
  }
  for (const s of servers) log(s.port, JSON.stringify((await health(s.url)).disk));
} finally {
  await Promise.all(servers.map((s) => stop(s)));
}
