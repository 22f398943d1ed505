import { call } from './p31c-lib.js';
import YAML from 'yaml';
const [proxy, engine] = process.argv.slice(2);
const body = { query: { match: { text: 'cerebral white matter diffusion' } }, size: 5 };
const full = await call(proxy, 'POST', '/p31c-kb/_search', body);
const ids = full.json.hits.hits.map((h: any) => h._id);
for (const fp of ['hits.hits._id', '**._id', 'hits.hits._i*', '-hits.hits._source,-vlrerank', 'hits.hits._score,hits.hits._id']) {
  const r = await call(proxy, 'POST', `/p31c-kb/_search?filter_path=${encodeURIComponent(fp)}`, body);
  const got = r.json.hits.hits.map((h: any) => h._id);
  console.log(fp, JSON.stringify(got) === JSON.stringify(ids) ? 'order ok' : `ORDER DIFF ${got} vs ${ids}`, Object.keys(r.json), Object.keys(r.json.hits.hits[0]));
}
// pretty
const pp = await call(proxy, 'POST', '/p31c-kb/_search?pretty', body);
const pe = await call(engine, 'POST', '/p31c-kb/_search?pretty', body);
console.log('pretty proxy', JSON.stringify(pp.text.slice(0, 60)), pp.type, '\npretty engin', JSON.stringify(pe.text.slice(0, 60)), pe.type);
// yaml
const yp = await call(proxy, 'POST', '/p31c-kb/_search?format=yaml', body);
const ye = await call(engine, 'POST', '/p31c-kb/_search?format=yaml', body);
const a = YAML.parse(yp.text), b = YAML.parse(ye.text);
const types = (j: any): any => (Array.isArray(j) ? j.slice(0, 1).map(types) : j && typeof j === 'object' ? Object.fromEntries(Object.entries(j).filter(([k]) => k !== 'vlrerank').map(([k, v]) => [k, types(v)])) : typeof j);
console.log('yaml types equal', JSON.stringify(types(a)) === JSON.stringify(types(b)), yp.type, ye.type, 'vlrerank in yaml', a.vlrerank !== undefined);
console.log(yp.text.split('\n').slice(0, 12).join('|'));
console.log(ye.text.split('\n').slice(0, 12).join('|'));
// odd query strings
for (const qs of ['size', '&size=3&', 'filter_path', 'typed_keys', '_source', '=x', 'size=3&size=', 'rest_total_hits_as_int', 'track_total_hits', 'track_total_hits=', 'search_type=', 'preference=', 'routing=', 'timeout=', 'filter_path=%2Dhits', 'Size=3', 'SIZE=3']) {
  const [p, d] = await Promise.all([call(proxy, 'POST', `/p31c-kb/_search?${qs}`, body), call(engine, 'POST', `/p31c-kb/_search?${qs}`, body)]);
  const sum = (r: any) => `${r.status} ${r.json?.error ? r.json.error.reason?.slice(0, 90) : `n=${r.json?.hits?.hits?.length} total=${JSON.stringify(r.json?.hits?.total)} keys=${Object.keys(r.json ?? {}).filter((k) => k !== 'vlrerank')}`}`;
  const ps = sum(p), ds = sum(d);
  console.log(ps === ds ? 'ok  ' : 'DIFF', qs.padEnd(22), ps, ps === ds ? '' : `\n     engine ${ds}`);
}
