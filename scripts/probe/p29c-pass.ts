/** Round 29c: requests sent to the engine directly and through the proxy — status, Warning, error type, body equality. */
import { SIDES, call, type Side } from './p29c-lib.js';
type Req = [string, string, string, unknown?, Record<string, string>?];
const reqs: Req[] = JSON.parse(process.env.REQS!);
const only = (process.env.ONLY ?? 'es9,os3').split(',') as Side[];
const strip = (t: string) => t.replace(/"took":\d+,?/g, '').replace(/"pit_id":"[^"]*"/g, '');
for (const s of only) for (const [name, method, path, body, headers] of reqs) {
  const d = await call(SIDES[s].engine, method, path, body, headers);
  const p = await call(SIDES[s].proxy, method, path, body, headers);
  const et = (r: any) => r.json?.error?.type ?? r.json?.error?.root_cause?.[0]?.type ?? '';
  console.log(s, name, 'direct', d.status, et(d), '| proxy', p.status, et(p), '| same body', strip(d.text) === strip(p.text), '| warn', JSON.stringify(d.headers.get('warning')?.slice(0, 90) ?? null), JSON.stringify(p.headers.get('warning')?.slice(0, 90) ?? null));
  if (strip(d.text) !== strip(p.text) || d.status !== p.status) console.log('   D', d.text.slice(0, 250), '\n   P', p.text.slice(0, 250));
}
