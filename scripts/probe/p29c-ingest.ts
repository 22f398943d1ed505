/** Round 29c: 40 grocery products `_bulk` through each proxy into `p29c-g` (made by `index setup`). */
import { SIDES, bulkBody, call, groceryDocs, type Side } from './p29c-lib.js';
const docs = groceryDocs(Number(process.env.N ?? 40));
await Promise.all((Object.keys(SIDES) as Side[]).map(async (s) => {
  const t0 = Date.now();
  const r = await call(SIDES[s].proxy, 'POST', '/_bulk?refresh=true', bulkBody('p29c-g', docs));
  const bad = (r.json?.items ?? []).filter((i: any) => i.index.status >= 300);
  console.log(s, r.status, 'errors', r.json?.errors, 'items', r.json?.items?.length, 'bad', JSON.stringify(bad.slice(0, 2)), Date.now() - t0, 'ms', r.status >= 300 ? r.text.slice(0, 300) : '');
}));
