/**
 * Held-out probe round 27c: what each of two concurrent requests bills. (a) a request whose every
 * feature is cached, beside one that computes new photos; (b) two identical requests with the same
 * new photo at once. Prints each one's usage and the metrics' model-run delta.
 *   P27C_OFF=0 npx tsx scripts/probe/p27c-concurrent.ts
 */
import { ABSTRACTS, PHOTOS, delta, metrics, post, sumCalls } from './p27c-lib.js';

const off = Number(process.env.P27C_OFF ?? 0);
const textReq = { query: { text: `sleep and memory ${off}` }, documents: ABSTRACTS.slice(off, off + 4).map((text) => ({ text })) };
const warm = await post('/_vlrerank/rerank', textReq);
console.log('warm', warm.status, JSON.stringify(warm.json.usage));
const again = await post('/_vlrerank/rerank', textReq);
console.log('again (all cached)', JSON.stringify(again.json.usage));
const m0 = await metrics();
const photoReq = { query: { text: 'a dog on a couch' }, documents: PHOTOS.slice(off + 10, off + 16).map((image) => ({ image })) };
const [a, b] = await Promise.all([post('/_vlrerank/rerank', photoReq), (async () => { await new Promise((r) => setTimeout(r, 150)); return post('/_vlrerank/rerank', textReq); })()]);
const m1 = await metrics();
console.log('(a) photos', a.status, JSON.stringify(a.json.usage));
console.log('(a) cached texts alongside', b.status, JSON.stringify(b.json.usage));
console.log('(a) metrics model runs', JSON.stringify(delta(m0, m1, /^vlrerank_model_runs_total/)), 'sum usage', sumCalls(a.json.usage) + sumCalls(b.json.usage));
const same = { query: { text: 'a cat' }, documents: [{ image: PHOTOS[off + 30] }] };
const [c, d] = await Promise.all([post('/_vlrerank/rerank', same), post('/_vlrerank/rerank', same)]);
const m2 = await metrics();
console.log('(b) first', JSON.stringify(c.json.usage));
console.log('(b) second', JSON.stringify(d.json.usage));
console.log('(b) metrics model runs', JSON.stringify(delta(m1, m2, /^vlrerank_model_runs_total/)), 'sum usage', sumCalls(c.json.usage) + sumCalls(d.json.usage));
