import autocannon from 'autocannon';
const body = JSON.stringify({ size: 10, query: { match: { title: 'quick fox' } }, aggs: { tags: { terms: { field: 'tag' } } } });
const r = await autocannon({ url: `${process.argv[2]}/vlr-bench-canned/_search`, method: 'POST', headers: { 'content-type': 'application/json' }, body, connections: 8, amount: Number(process.argv[3]) });
console.log(process.argv[2], r.requests.total, r.non2xx);
