/** Held-out probe round 29a: paging values an app may send (strings, decimals, -1) beside a rerank, against the engine's reading (npx tsx scripts/probe/p29a-paging.ts). */
import { ENGINES, RR, send, stripRerank } from './p29a-lib.js';

const Q = { multi_match: { query: 'green apple', fields: ['title^2', 'description'] } };
const cases: Array<[string, string, any]> = [
  ['size -1', '', { size: -1 }], ['?size=-1', '?size=-1', {}], ['from -1', '', { from: -1 }], ['size 1.5', '', { size: 1.5 }], ['size "2"', '', { size: '2' }],
  ['size 2.0', '', { size: 2.0 }], ['size "2.5"', '', { size: '2.5' }], ['?size=2.5', '?size=2.5', {}], ['size true', '', { size: true }], ['size null', '', { size: null }],
  ['?size=', '?size=', {}], ['?from=1&from=2', '?from=1&from=2&size=2', {}], ['size 1e1', '', { size: 1e1 }], ['size " 3 "', '', { size: ' 3 ' }], ['from "1"', '', { from: '1', size: 2 }],
];
for (const e of ENGINES) {
  for (const [label, qs, extra] of cases) {
    const body = { query: Q, ext: RR, ...extra };
    const a = await send(e.vl, `/p29a-g/_search${qs}`, body);
    const d = await send(e.direct, `/p29a-g/_search${qs}`, stripRerank(body));
    const s = (x: any) => (x.j.error ? `${x.status} ${x.j.error.type}: ${String(x.j.error.reason).slice(0, 90)}` : `${x.status} n=${x.j.hits.hits.length}`);
    console.log(`[${e.name} ${label}] vl ${s(a)} | es ${s(d)}`);
  }
}
