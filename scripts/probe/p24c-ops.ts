/**
 * Held-out probe round 24c, part 4: a byte budget three writers share (eviction while the others
 * read), a folder on a path with spaces and unicode, the folder deleted while three processes serve
 * and a fourth started after.
 * Usage: npx tsx scripts/probe/p24c-ops.ts
 */
import { existsSync, rmSync } from 'node:fs';
import { diff, health, metrics, photos, rerank, serve, sleep, stop, type Serve } from './p24c-lib.js';

const log = (...a: unknown[]) => console.log(...a);
const root = '/tmp/p24c/dir with spaces/é ü 日本 store';
rmSync('/tmp/p24c/dir with spaces', { recursive: true, force: true });
const servers: Serve[] = [];
try {
  servers.push(...(await Promise.all([19558, 19559, 19560].map((p) => serve(p, root, { VLRERANK_STORE_DISK_MAX_BYTES: String(1_500_000) })))));
  log('unicode path: states', await Promise.all(servers.map(async (s) => (await health(s.url)).disk.state)), existsSync(`${root}/features.mdb`));
  const all = photos('grocery', 300, 0);
  let at = 0;
  let bad = 0;
  for (let round = 0; round < 5; round++) {
    const rs = await Promise.all(
      servers.map((s) => {
        const docs = all.slice(at, at + 16).map((image) => ({ image }));
        at += 16;
        return rerank(s.url, `round ${round}`, docs);
      }),
    );
    // one process reads back what was written so far while the others evict
    const back = await rerank(servers[round % 3]!.url, 'reread', all.slice(0, 16).map((image) => ({ image })));
    bad += rs.filter((r) => r.status !== 200).length + (back.status === 200 ? 0 : 1);
    await sleep(1500);
    const hs = await Promise.all(servers.map((s) => health(s.url)));
    log(`budget round ${round}: bytes ${hs[0]!.disk.bytes} / 1500000, file ${hs[0]!.disk.fileBytes}, entries ${hs[0]!.disk.entries}, errors ${hs.map((h) => h.disk.errors)}, states ${hs.map((h) => h.disk.state)}`);
  }
  log('budget: non-200', bad);

  // the folder deleted while the three serve
  const m0 = await Promise.all(servers.map((s) => metrics(s.url)));
  rmSync(root, { recursive: true, force: true });
  const docsA = all.slice(at, at + 6).map((image) => ({ image }));
  at += 6;
  const r1 = await rerank(servers[0]!.url, 'after rm', docsA);
  await sleep(1500);
  log('rm -rf: status', r1.status, 'folder back?', existsSync(root), 'healths', (await Promise.all(servers.map((s) => health(s.url)))).map((h) => JSON.stringify(h.disk)));
  const r2 = await rerank(servers[1]!.url, 'after rm', docsA);
  log('rm -rf: the second process asked the same', r2.status, diff(m0[1]!, await metrics(servers[1]!.url)));
  const late = await serve(19561, root, { VLRERANK_STORE_DISK_MAX_BYTES: String(1_500_000) });
  servers.push(late);
  const m1 = await metrics(late.url);
  const r3 = await rerank(late.url, 'after rm', docsA);
  await sleep(1500);
  log('a fourth process started after the rm, asked the same:', r3.status, diff(m1, await metrics(late.url)), JSON.stringify((await health(late.url)).disk));
  const docsB = all.slice(at, at + 6).map((image) => ({ image }));
  await rerank(late.url, 'new', docsB);
  await sleep(1500);
  const m2 = await metrics(servers[0]!.url);
  await rerank(servers[0]!.url, 'new', docsB);
  log("an old process asked what the fourth just wrote:", diff(m2, await metrics(servers[0]!.url)), JSON.stringify((await health(servers[0]!.url)).disk));
} finally {
  await Promise.all(servers.map((s) => stop(s)));
}
