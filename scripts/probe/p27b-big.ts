/**
 * Held-out probe round 27b: 12-megapixel phone photos as the query (4000×3000 JPEG q92 from in-store
 * photos), `--n` at once through `p27b-serve.ts`, while `/_vlrerank/health` is asked every 100 ms:
 * each search's status and time, health's slowest answer, the server's peak RSS (VmHWM of `--pid`).
 *
 *   npx tsx scripts/probe/p27b-big.ts --pid <server pid> [--n 4]
 */
import { readFileSync } from 'node:fs';
import sharp from 'sharp';
import { groceryQueries } from '../../test/helpers/search-fixtures.js';

const argv = process.argv.slice(2);
const flag = (n: string) => (argv.includes(n) ? argv[argv.indexOf(n) + 1] : undefined);
const n = Number(flag('--n') ?? 4);
const pid = flag('--pid');
const URL_ = process.env.P27B_URL ?? 'http://127.0.0.1:19590';
const rss = () => (pid ? readFileSync(`/proc/${pid}/status`, 'utf8').match(/VmHWM:\s+(\d+)/)![1] + ' kB peak, ' + readFileSync(`/proc/${pid}/status`, 'utf8').match(/VmRSS:\s+(\d+)/)![1] + ' kB now' : '');
const photos = await Promise.all(groceryQueries(37).slice(0, n).map((q) => sharp(q.image).resize(4000, 3000, { fit: 'fill' }).jpeg({ quality: 92 }).toBuffer()));
console.log(`photos ${photos.map((p) => (p.length / 1e6).toFixed(1) + ' MB').join(' ')}; before: ${rss()}`);
let done = false;
let worst = 0;
let polls = 0;
const poll = (async () => {
  while (!done) {
    const t0 = Date.now();
    await fetch(`${URL_}/_vlrerank/health`).then((r) => r.text());
    worst = Math.max(worst, Date.now() - t0);
    polls++;
    await new Promise((r) => setTimeout(r, 100));
  }
})();
const t0 = Date.now();
const res = await Promise.all(photos.map(async (p) => {
  const t = Date.now();
  const r = await fetch(`${URL_}/p27b-grocery/_search`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ size: 3, _source: false, ext: { vlrerank: { query: { image: p.toString('base64') }, window: 20 } } }) });
  const b: any = await r.json();
  return `${r.status} ${Date.now() - t} ms ${b.hits?.hits?.[0]?._id ?? JSON.stringify(b.error).slice(0, 150)} ${JSON.stringify(b.vlrerank?.timings ?? '')}`;
}));
done = true;
await poll;
console.log(res.join('\n'));
console.log(`all ${Date.now() - t0} ms; health: ${polls} polls, slowest ${worst} ms; after: ${rss()}`);
