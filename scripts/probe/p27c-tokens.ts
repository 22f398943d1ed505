/**
 * Held-out probe round 27c: `usage.total_tokens` against the tokenizer's own count (bge-small,
 * 512-token window, the query prefix), for short texts, a text past the window, `max_tokens_per_doc`,
 * a text sent twice, and the shapes' usage fields (/v1, /v2, /rerank, /v1/score).
 *   npx tsx scripts/probe/p27c-tokens.ts
 */
import { join } from 'node:path';
import { TextTokenizer } from '../../src/models/tokenizer.js';
import { ABSTRACTS, DATA, post } from './p27c-lib.js';

const tok = await TextTokenizer.fromFile(join(DATA, '../models/bge-small-en-v1.5/tokenizer.json'), 512);
const QP = 'Represent this sentence for searching relevant passages: ';
const n = (t: string, prefix = '') => { const e = tok.encode(prefix + t); return { read: e.ids.length, full: e.fullLength }; };
const salt = `run ${Date.now()}`;
const q = `what helps memory ${salt}`;
const short = [`Sleep consolidates memory ${salt}.`, `Rice grows in paddies ${salt}.`];
const long = `${salt} ${ABSTRACTS.slice(100, 108).join(' ')}`;
const expect = (texts: string[]) => n(q, QP).read + texts.reduce((s, t) => s + n(t).read, 0);
const show = (label: string, r: { status: number; json: any }, want?: number) => console.log(label, r.status, JSON.stringify(r.json.usage ?? r.json), JSON.stringify(r.json.meta?.billed_units ?? ''), want !== undefined ? `tokenizer: ${want}` : '');
console.log('long text tokens', n(long));
show('v1 short', await post('/v1/rerank', { query: q, documents: short }), expect(short));
show('v1 short again', await post('/v1/rerank', { query: q, documents: short }), 0);
const l = await post('/v1/rerank', { query: q, documents: [long] });
show('v1 long', l, expect([long]));
console.log('   (the query alone', n(q, QP).read, '; long full', n(long).full, ')');
const q2 = `${q} 2`;
show('v2 max_tokens_per_doc 50', await post('/v2/rerank', { query: q2, documents: [`${long} x`], max_tokens_per_doc: 50 }), n(q2, QP).read + 50);
show('tei /rerank', await post('/rerank', { query: `${q} 3`, texts: [`tei ${salt}`] }), n(`${q} 3`, QP).read + n(`tei ${salt}`).read);
show('vllm /v1/score', await post('/v1/score', { text_1: `${q} 4`, text_2: [`score ${salt}`] }), n(`${q} 4`, QP).read + n(`score ${salt}`).read);
const many = Array.from({ length: 250 }, (_, i) => `doc ${i} ${salt}`);
show('v1 250 docs', await post('/v1/rerank', { query: `${q} 5`, documents: many }));
show('dup text twice in one request', await post('/v1/rerank', { query: `${q} 6`, documents: [`dup ${salt}`, `dup ${salt}`] }), n(`${q} 6`, QP).read + n(`dup ${salt}`).read);
