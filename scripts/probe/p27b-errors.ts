/**
 * Held-out probe round 27b: malformed query photos through `p27b-serve.ts` — each sent as the query
 * image of a reranked search (`ext.vlrerank`) and of `/v1/rerank`; prints the status and the error.
 *
 *   npx tsx scripts/probe/p27b-errors.ts
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { groceryQueries } from '../../test/helpers/search-fixtures.js';

const URL_ = process.env.P27B_URL ?? 'http://127.0.0.1:19590';
const dir = join(process.env.P27B_TMP ?? '/tmp/p27b', 'q');
const src = groceryQueries(50)[1]!.image;
const jpg = readFileSync(src);
const b64 = jpg.toString('base64');
const tiny = await sharp({ create: { width: 1, height: 1, channels: 3, background: '#f00' } }).png().toBuffer();
const gif1 = 'R0lGODlhAQABAIAAAP///wAAACH5BAEAAAAALAAAAAABAAEAAAICRAEAOw==';
writeFileSync(join(dir, 'trunc.jpg'), jpg.subarray(0, jpg.length >> 1));
writeFileSync(join(dir, 'html.jpg'), '<html><body>hi</body></html>');

const cases: Array<[string, unknown]> = [
  ['truncated half', jpg.subarray(0, jpg.length >> 1).toString('base64')],
  ['truncated -200', jpg.subarray(0, jpg.length - 200).toString('base64')],
  ['truncated -2 (no EOI)', jpg.subarray(0, jpg.length - 2).toString('base64')],
  ['header only 600 B', jpg.subarray(0, 600).toString('base64')],
  ['stray char', b64.slice(0, 1000) + '!' + b64.slice(1000)],
  ['extra padding', b64 + '=='],
  ['spaces for plus (form-decoded)', b64.replace(/\+/g, ' ')],
  ['percent-encoded', encodeURIComponent(b64)],
  ['data: text/plain', `data:text/plain;base64,${b64}`],
  ['data: no ;base64', `data:image/jpeg,${b64}`],
  ['data: empty', 'data:image/jpeg;base64,'],
  ['data: newlines CRLF', `data:image/jpeg;base64,${b64.replace(/.{76}/g, '$&\r\n')}`],
  ['data: urlsafe', `data:image/jpeg;base64,${jpg.toString('base64url')}`],
  ['base64 of base64', Buffer.from(b64).toString('base64')],
  ['pdf bytes', Buffer.concat([Buffer.from('%PDF-1.4\n'), jpg.subarray(0, 400)]).toString('base64')],
  ['1x1 png', tiny.toString('base64')],
  ['1x1 gif (60 chars)', gif1],
  ['1x1 gif data:', `data:image/gif;base64,${gif1}`],
  ['empty string', ''],
  ['number', 42],
  ['array', [b64]],
  ['object', { data: b64 }],
  ['url 404', 'http://127.0.0.1:19591/nope.jpg'],
  ['url html', 'http://127.0.0.1:19591/html.jpg'],
  ['url truncated', 'http://127.0.0.1:19591/trunc.jpg'],
  ['url closed port', 'http://127.0.0.1:19599/x.jpg'],
  ['path missing', join(dir, 'nope.jpg')],
  ['path truncated', join(dir, 'trunc.jpg')],
  ['blob: url', 'blob:http://localhost/1234-5678'],
  ['file name only', 'IMG_0001.HEIC'],
];

async function call(path: string, body: unknown): Promise<string> {
  const t0 = Date.now();
  try {
    const r = await fetch(URL_ + path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body), signal: AbortSignal.timeout(60_000) });
    const t = await r.text();
    let short = t.slice(0, 220);
    try {
      const j = JSON.parse(t);
      short = j.error ? JSON.stringify(j.error).slice(0, 220) : j.message ? `message: ${j.message}` : j.hits ? `hits ${j.hits.hits.length} top ${j.hits.hits[0]?._id} degraded ${j.vlrerank?.degraded} ${JSON.stringify(j.vlrerank?.document_errors ?? '')}` : j.results ? `results ${j.results.length} ${JSON.stringify(j.meta?.warnings ?? j.errors ?? '').slice(0, 150)}` : short;
    } catch { /* text */ }
    return `${r.status} ${Date.now() - t0}ms ${short}`;
  } catch (e) {
    return `EXC ${Date.now() - t0}ms ${(e as Error).message}`;
  }
}

for (const [name, image] of cases) {
  const s = await call('/p27b-grocery/_search', { size: 3, _source: false, ext: { vlrerank: { query: { image }, window: 10 } } });
  const v = await call('/v1/rerank', { query: { image }, documents: ['a banana', 'an apple'] });
  console.log(`${name}\n  search ${s}\n  v1     ${v}`);
}
