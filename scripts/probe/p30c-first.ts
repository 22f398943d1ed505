/** The first rerank right after start (warm-up under way), on a busy machine: what it answers. */
import { rerank, start } from './p30c-lib.js';
const s = await start();
const r = await rerank(s.url, 3, process.argv[2] === 'clip', 0);
console.log(r.status, JSON.stringify(r.body).slice(0, 400));
await s.close();
