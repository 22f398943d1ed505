import { CLIPS, PHOTOS, post } from './p27c-lib.js';
const s = Date.now();
const r = await post('/_vlrerank/rerank', { query: { text: `a horse ${s}` }, documents: [...PHOTOS.slice(100, 104).map((image) => ({ image })), { video: CLIPS[0], fps: 1 }, { text: `a horse ${s}` }] }, { 'x-vlrerank-budget-ms': '1500' });
console.log(r.status, JSON.stringify(r.json.usage), JSON.stringify(r.json.errors?.map((e: any) => [e.index, e.code])));
const r2 = await post('/_vlrerank/rerank', { query: { text: `a horse ${s}` }, documents: [...PHOTOS.slice(100, 104).map((image) => ({ image })), { video: CLIPS[0], fps: 1 }] });
console.log(r2.status, JSON.stringify(r2.json.usage));
