/**
 * Held-out probe round 24c, part 1: three `vlrerank serve` processes on one disk-tier folder asked
 * the same new photos and clips at once — model runs per process, scores across processes, records
 * seen by the others once written; then SIGKILL mid-write under load, many times.
 * Usage: npx tsx scripts/probe/p24c-shared.ts <folder> [kills]
 */
import { join } from 'node:path';
import { DATA, diff, health, metrics, photos, rerank, serve, sleep, stop, type Serve } from './p24c-lib.js';

const folder = process.argv[2] ?? '/tmp/p24c/shared';
const kills = Number(process.argv[3] ?? 10);
const ports = [19550, 19551, 19552];
const servers: Serve[] = await Promise.all(ports.map((p) => serve(p, folder)));
const log = (...a: unknown[]) => console.log(...a);
try {
  const stamp = Date.now();
  const docs = [...photos('coco', 6, 100).map((image) => ({ text: `photo ${stamp}`, image })), { video: join(DATA, 'intel-sample-videos/clips/bottle-detection.mp4') }];
  const before = await Promise.all(servers.map((s) => metrics(s.url)));
  const answers = await Promise.all(servers.map((s) => rerank(s.url, `a dog on a couch ${stamp}`, docs)));
  const after = await Promise.all(servers.map((s) => metrics(s.url)));
  log('P1 statuses', answers.map((a) => a.status), 'scores equal across processes:', answers.every((a) => JSON.stringify(a.scores) === JSON.stringify(answers[0]!.scores)));
  answers.forEach((a, i) => log(`  ${ports[i]} scores`, a.scores.map((x) => x.toFixed(6)).join(' '), 'runs', diff(before[i]!, after[i]!)));
  if (!answers.every((a) => JSON.stringify(a.scores) === JSON.stringify(answers[0]!.scores))) log('  bodies', JSON.stringify(answers.map((a) => a.body)).slice(0, 3000));
  for (const s of servers) log(`  ${s.port} disk`, JSON.stringify((await health(s.url)).disk));

  // P2: photos one process computed, asked of the others afterwards: disk hits, no model run
  const docs2 = photos('caltech', 8, 200).map((image) => ({ image }));
  await rerank(servers[0]!.url, `an animal ${stamp}`, docs2);
  await sleep(1500);
  for (const s of servers.slice(1)) {
    const m0 = await metrics(s.url);
    const r = await rerank(s.url, `an animal ${stamp}`, docs2);
    log(`P2 ${s.port} after ${ports[0]} computed:`, r.status, diff(m0, await metrics(s.url)));
  }

  // P3: SIGKILL one process mid-write under load, many times; the others keep answering, the killed one restarts
  let served = 0;
  let failed = 0;
  const failures: string[] = [];
  for (let k = 0; k < kills; k++) {
    const victim = servers[k % 3]!;
    const others = servers.filter((s) => s !== victim);
    const batch = photos(k % 2 ? 'grocery' : 'coco', 10, (10 * k + 20) % 140).map((image) => ({ text: `k${k} ${stamp}`, image }));
    const load = [victim, ...others].map((s) =>
      rerank(s.url, `food ${k} ${stamp}`, batch)
        .then((r) => (r.status === 200 ? served++ : (failed++, failures.push(`${s.port}:${r.status} ${JSON.stringify(r.body).slice(0, 300)}`))))
        .catch((e: unknown) => (s === victim ? undefined : (failed++, failures.push(`${s.port}:${String(e)}`)))),
    );
    await sleep(800 + Math.random() * 4000);
    victim.child.kill('SIGKILL');
    await Promise.all(load);
    const idx = servers.indexOf(victim);
    servers[idx] = await serve(victim.port, folder);
    const h = await health(servers[idx]!.url);
    log(`P3 kill ${k + 1}/${kills} ${victim.port}: restarted disk ${h.disk.state} entries ${h.disk.entries} bytes ${h.disk.bytes} file ${h.disk.fileBytes} errors ${h.disk.errors}`);
  }
  log('P3 others served', served, 'failed', failed, failures.slice(0, 10));
  // after the kills: the same batches again on every process, disk hits, equal scores
  for (let k = 0; k < Math.min(kills, 4); k++) {
    const batch = photos(k % 2 ? 'grocery' : 'coco', 10, (10 * k + 20) % 140).map((image) => ({ text: `k${k} ${stamp}`, image }));
    const ms = await Promise.all(servers.map((s) => metrics(s.url)));
    const rs = await Promise.all(servers.map((s) => rerank(s.url, `food ${k} ${stamp}`, batch)));
    const ms2 = await Promise.all(servers.map((s) => metrics(s.url)));
    log(`P3b batch ${k}`, rs.map((r) => r.status), 'equal', rs.every((r) => JSON.stringify(r.scores) === JSON.stringify(rs[0]!.scores)), ms.map((m, i) => diff(m, ms2[i]!)));
  }
  for (const s of servers) log(`  ${s.port} disk`, JSON.stringify((await health(s.url)).disk), await metrics(s.url));
} finally {
  await Promise.all(servers.map((s) => stop(s)));
}
