/** Held-out probe round 29a: the client naming vlrerank's own fields, and wildcard field lists (npx tsx scripts/probe/p29a-fields.ts). */
import { both, RR } from './p29a-lib.js';

const base = { query: { multi_match: { query: 'green apple', fields: ['title^2', 'description'] } }, ext: RR, size: 2 };
const show = (j: any) => j.hits?.hits?.[0]?.fields && Object.fromEntries(Object.entries(j.hits.hits[0].fields).map(([k, v]: any) => [k, typeof v?.[0] === 'string' ? v[0].slice(0, 20) : Array.isArray(v) ? v.length : v]));
await both('fields *', '/p29a-g/_search', { ...base, _source: false, fields: ['*'] }, { show });
await both('docvalue_fields key', '/p29a-g/_search', { ...base, _source: false, docvalue_fields: ['vlrerank_features_key'] }, { show });
await both('docvalue_fields *', '/p29a-g/_search', { ...base, _source: false, docvalue_fields: ['*'] }, { show });
await both('stored_fields record', '/p29a-g/_search', { ...base, stored_fields: ['vlrerank_features'] }, { show });
await both('stored_fields record + _source', '/p29a-g/_search', { ...base, stored_fields: ['vlrerank_features', '_source'] }, { show });
await both('?stored_fields=*', '/p29a-g/_search?stored_fields=*', { ...base }, { show });
await both('fields vlrerank_*', '/p29a-g/_search', { ...base, _source: false, fields: ['vlrerank_*'] }, { show });
await both('_source includes record', '/p29a-g/_search', { ...base, _source: ['vlrerank_features', 'title'] }, { show });
await both('script_fields + stored_fields', '/p29a-g/_search', { ...base, script_fields: { d: { script: '1' } }, stored_fields: ['price'] }, { show, only: ['os2'] });
await both('script_fields + _source excludes', '/p29a-g/_search', { ...base, script_fields: { d: { script: '1' } }, _source: { excludes: ['image*'] } }, { show, only: ['os2'] });
await both('script_fields + ?_source_includes', '/p29a-g/_search?_source_includes=title', { ...base, script_fields: { d: { script: '1' } } }, { show, only: ['os2'] });
await both('script_fields + highlight', '/p29a-g/_search', { ...base, script_fields: { d: { script: '1' } }, highlight: { fields: { title: {} } } }, { show, only: ['os2'] });
await both('script_fields + explain', '/p29a-g/_search', { ...base, script_fields: { d: { script: '1' } }, ext: { vlrerank: { ...RR.vlrerank, explain: true } } }, { show, only: ['os2'] });
