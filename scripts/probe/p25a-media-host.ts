/**
 * Held-out probe round 25a: a media host (port 19541) that serves COCO photos at `/img/N`, answers
 * 403 with a body at any other path (`/redirect` → 302 to `/img/0`), and writes down every request's
 * headers to /tmp/p25a/media-seen.jsonl.
 *
 *   npx tsx scripts/probe/p25a-media-host.ts
 */
import { createServer } from 'node:http';
import { appendFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DATA } from '../../test/helpers/paths.js';

const coco = join(DATA, 'coco-captions-mini');
const rows = readFileSync(join(coco, 'captions.jsonl'), 'utf8').trim().split('\n').slice(0, 8).map((l) => JSON.parse(l) as { image: string });
createServer((req, res) => {
  appendFileSync('/tmp/p25a/media-seen.jsonl', JSON.stringify({ url: req.url, headers: req.headers }) + '\n');
  if (req.url!.startsWith('/img/')) res.writeHead(200, { 'content-type': 'image/jpeg' }).end(readFileSync(join(coco, rows[Number(req.url!.slice(5)) % 8]!.image)));
  else if (req.url === '/redirect') res.writeHead(302, { location: '/img/0' }).end();
  else if (req.url === '/html') res.writeHead(200, { 'content-type': 'text/html' }).end('<html>MEDIAHOST-SECRET-ANSWER internal admin page</html>');
  else res.writeHead(403, { 'content-type': 'text/plain', 'set-cookie': 'host=MEDIAHOST-COOKIE' }).end('MEDIAHOST-SECRET-ANSWER: forbidden for you');
}).listen(19541, '127.0.0.1');
