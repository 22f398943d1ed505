/** Round 29d: 12 grocery products written to the engine directly (argv: engine URL, index). */
import { bulkBody, call, groceryDocs } from './p29d-lib.js';
const r = await call(process.argv[2], 'POST', '/_bulk?refresh=true', bulkBody(process.argv[3], groceryDocs(12)));
console.log('seeded', r.status, r.json?.errors);
