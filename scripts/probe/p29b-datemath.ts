/** Probe: date math index names — the concrete name the engine makes of each against resolveDateMathName. */
import { resolveDateMathName as r } from '../../src/util/date-math-name.js';
const E = process.env.P29B_ENGINE ?? 'http://127.0.0.1:19200';
const exprs = ['<p29b-dm-{now/d}>', '<p29b-dm-{now/M{yyyy.MM}}>', '<p29b-dm-{now/d{yyyy.MM.dd|+12:00}}>', '<p29b-dm-{now-1d/d}>', '<p29b-dm-{now/w{yyyy.MM.dd}}>', '<p29b-dm-{now/y{yy}}>', '<p29b-dm-{now/H{yyyy.MM.dd.HH}}>', '<p29b-dm-{now/d{yyyy.MM.dd|America/New_York}}>', '<p29b-dm-\\{x\\}-{now/d}>', '<p29b-dm-{now/d{uuuu-MM-dd}}-{now/M{MM}}>', '<p29b-dm-{now+1M/M{yyyy.MM|-08:00}}>', '<p29b-dm-{now}>', "<p29b-dm-{now/d{'day'-dd}}>", '<p29b-dm-{now/d{|UTC}}>', '<p29b-dm-{now/d{yyyy.MM.dd|Pacific/Kiritimati}}>', '<p29b-dm-{now/d{yyyy.MM.dd|-14}}>', '<p29b-dm-{now/d{MMM}}>'];
for (const e of exprs) {
  const res = await fetch(`${E}/${encodeURIComponent(e)}/_doc/1?refresh=true`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: '{"a":1}' });
  const j: any = await res.json();
  const mine = r(e);
  console.log(e, '| engine:', j._index ?? JSON.stringify(j).slice(0, 150), '| mine:', mine, j._index === mine ? 'OK' : 'DIFF');
  if (j._index) await fetch(`${E}/${encodeURIComponent(j._index)}`, { method: 'DELETE' });
}
