/** Round 29c: 20 products written to the engine directly into `p29c-gb` (made by `index setup`), for `index backfill`. */
import { SIDES, bulkBody, call, groceryDocs, type Side } from './p29c-lib.js';
const docs = groceryDocs(60).slice(40);
for (const s of Object.keys(SIDES) as Side[]) {
  const r = await call(SIDES[s].engine, 'POST', '/_bulk?refresh=true', bulkBody('p29c-gb', docs));
  console.log(s, r.status, r.json?.errors);
}
