/**
 * Held-out probe round 24c, part 2: three `vlrerank serve` processes on one disk-tier folder on a
 * small tmpfs (we run as root) that fills up while they all write — another process (dd) takes the
 * last room between their free-space checks and their commits. Does a process whose commit failed
 * keep the others from writing (lmdb's write lock is shared through the lock file)? Do all keep
 * answering, health included?
 * Usage: npx tsx scripts/probe/p24c-full.ts
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { health, metrics, photos, rerank, serve, sleep, stop, type Serve } from './p24c-lib.js';

const mnt = '/tmp/p24c/full';
mkdirSync(mnt, { recursive: true });
execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=6m', 'tmpfs', mnt]);
const folder = join(mnt, 'store');
const servers: Serve[] = [];
const log = (...a: unknown[]) => console.log(...a);
const timed = async <T>(p: Promise<T>, ms: number): Promise<T | 'TIMEOUT'> => Promise.race([p, sleep(ms).then(() => 'TIMEOUT' as const)]);
try {
  servers.push(...(await Promise.all([19554, 19555, 19556].map((p) => serve(p, folder)))));
  const all = [...photos('caltech', 300, 0)];
  let at = 0;
  for (let round = 0; round < 6; round++) {
    // leave ~1.2 MB free, then let dd take the rest while the three write
    rmSync(join(mnt, 'filler'), { force: true });
    try {
      execFileSync('sh', ['-c', `avail=$(df -k --output=avail ${mnt} | tail -1); dd if=/dev/zero of=${mnt}/filler bs=1k count=$((avail - 1200)) 2>/dev/null`]);
    } catch {
      /* full */
    }
    const dd = spawn('sh', ['-c', `sleep 0.${3 + round}; dd if=/dev/zero of=${mnt}/filler2 bs=4k 2>/dev/null; sleep 3; rm -f ${mnt}/filler2`]);
    const reqs = servers.map((s) => {
      const docs = all.slice(at, at + 12).map((image) => ({ image }));
      at += 12;
      return timed(rerank(s.url, `round ${round}`, docs), 120_000).then((r) => (r === 'TIMEOUT' ? 'TIMEOUT' : r.status));
    });
    const ddDone = new Promise((r) => dd.once('exit', r));
    log(`round ${round} statuses`, await Promise.all(reqs));
    await ddDone;
    for (const s of servers) {
      const h = await timed(health(s.url), 20_000);
      log(`  ${s.port}`, h === 'TIMEOUT' ? 'HEALTH TIMEOUT' : JSON.stringify(h.disk));
    }
  }
  // room again: everything deleted but the store; do the three write and answer?
  rmSync(join(mnt, 'filler'), { force: true });
  for (const s of servers) {
    const docs = all.slice(at, at + 4).map((image) => ({ image }));
    at += 4;
    const r = await timed(rerank(s.url, 'after', docs), 120_000);
    await sleep(2000);
    const h = await timed(health(s.url), 20_000);
    log(`after room ${s.port}`, r === 'TIMEOUT' ? 'TIMEOUT' : r.status, h === 'TIMEOUT' ? 'HEALTH TIMEOUT' : JSON.stringify(h.disk), JSON.stringify(await timed(metrics(s.url), 20_000)));
  }
  // a fourth process opening the folder now
  const late = await serve(19557, folder);
  servers.push(late);
  const r = await timed(rerank(late.url, 'late', all.slice(at, at + 4).map((image) => ({ image }))), 120_000);
  await sleep(2000);
  log('late process', r === 'TIMEOUT' ? 'TIMEOUT' : r.status, JSON.stringify((await health(late.url)).disk));
  const exits = await Promise.all(servers.map((s) => timed(stop(s), 30_000)));
  log('exits on SIGTERM', exits);
} finally {
  for (const s of servers) if (s.child.exitCode === null && s.child.signalCode === null) s.child.kill('SIGKILL');
  await sleep(500);
  execFileSync('umount', ['-l', mnt]);
}
