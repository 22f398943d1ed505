/**
 * Held-out probe round 24b: the library's errors. Calls `new Reranker()`, `process()`, `records()`,
 * `parseRecord`/`unpackRecord` with what a script gets wrong, and checks each rejection is a
 * VlrerankError with a code (never a plain Error/TypeError), its message names the field, and no
 * call hangs. Real models from ../shared/models.
 *
 *   npx tsx scripts/probe/p24b-process.ts
 *
 * Lines marked BAD after round 24b's fixes, each judged by design: a DNS failure of a media URL is a
 * 502 (media_fetch); an app's own abort rejects with its reason (round 23c); `clipModel` is checked at
 * the first process() (Known gaps); `records([{}])` makes `{v}` as ingest asks; parseRecord and
 * unpackRecord answer a reason, never throw; a call after close() loads the models again.
 */
import { Reranker, VlrerankError, parseRecord, unpackRecord, validateRerankInput } from '../../src/index.js';

const MODELS = '../shared/models';
const DATA = '../shared/data';
const img = `${DATA}/grocery-store-products/iconic-images-and-descriptions/Fruit/Apple/Golden-Delicious/Golden-Delicious_Iconic.jpg`;
let bad = 0;
let n = 0;

async function expectCode(name: string, run: () => unknown, ok?: (v: unknown) => boolean): Promise<void> {
  n++;
  const t = setTimeout(() => console.log(`HANG? ${name}`), 60_000);
  try {
    const v = await run();
    if (ok?.(v)) console.log(`ok   ${name}: resolved`);
    else {
      bad++;
      console.log(`BAD  ${name}: resolved ${JSON.stringify(v)?.slice(0, 200)}`);
    }
  } catch (e) {
    const good = e instanceof VlrerankError && typeof e.code === 'string' && e.status >= 400 && e.status < 500 && !/\n\s+at /.test(e.message);
    if (!good) bad++;
    console.log(`${good ? 'ok  ' : 'BAD '} ${name}: ${e instanceof VlrerankError ? `${e.code} ${e.status}` : `${(e as Error)?.constructor?.name} (no code)`}: ${String((e as Error)?.message ?? e).slice(0, 220)}`);
  } finally {
    clearTimeout(t);
  }
}

const ctor = (o: unknown) => () => new Reranker(o as never);
for (const [name, o] of Object.entries({
  'modelsDir number': { modelsDir: 7 },
  'weights unknown': { weights: { nope: 1 } },
  'weights negative': { weights: { text_text: -1 } },
  'mediaRoots string': { mediaRoots: '/tmp' },
  'remoteUrls bad': { remoteUrls: ['ftp://x'] },
  'featureStore bad': { featureStore: { diskPath: '' } },
  'calibrationFile missing': { modelsDir: MODELS, calibrationFile: '/nonexistent.json' },
  'unknown option': { modelDir: MODELS },
  'options null': null,
  'options array': [],
  'precision bad': { precision: { 'bge-small-en-v1.5': 'int4' } },
  'clipModel unknown': { modelsDir: MODELS, clipModel: 'nope' },
  'mediaProxy bad': { mediaProxy: 'socks5://x' },
})) await expectCode(`new Reranker ${name}`, ctor(o), (v) => name === 'options null' && v instanceof Reranker);

const r = new Reranker({ modelsDir: MODELS, mediaRoots: [DATA] });
const q = { text: 'apple' };
const inputs: Record<string, unknown> = {
  'undefined': undefined,
  'null': null,
  'string': 'x',
  'no documents': { query: q },
  'documents empty': { query: q, documents: [] },
  'document number': { query: q, documents: [7] },
  'document null': { query: q, documents: [null] },
  'query number': { query: 7, documents: ['a'] },
  'query empty object': { query: {}, documents: ['a'] },
  'query blank': { query: '  ', documents: ['a'] },
  'top_n 0': { query: q, documents: ['a'], top_n: 0 },
  'fps big': { query: q, documents: [{ video: 'x.mp4', fps: 1000 }] },
  'weights unknown': { query: q, documents: ['a'], weights: { nope: 1 } },
  'backend remote, none': { query: q, documents: ['a'], backend: 'remote' },
  'strict missing image': { query: q, documents: [{ image: `${DATA}/nope.jpg` }], strict: true },
  'strict outside roots': { query: q, documents: [{ image: '/etc/hostname' }], strict: true },
  'strict not an image': { query: q, documents: [{ image: `${DATA}/grocery-store-products/catalog.jsonl` }], strict: true },
  'strict folder': { query: q, documents: [{ image: DATA }], strict: true },
  'query image missing': { query: { image: `${DATA}/nope.jpg` }, documents: ['a'] },
  'query video not a video': { query: { video: img }, documents: ['a'] },
  'query video missing': { query: { video: `${DATA}/nope.mp4` }, documents: ['a'] },
  'query image bad base64': { query: { image: 'data:image/png;base64,@@@' }, documents: ['a'] },
  'query image url unresolvable': { query: { image: 'http://no-such-host.invalid/x.jpg' }, documents: ['a'] },
  'query image private url': { query: { image: 'http://10.0.0.1/x.jpg' }, documents: ['a'] },
  'too many documents': { query: q, documents: new Array(1001).fill('a') },
  'instruction long': { query: q, documents: ['a'], instruction: 'x'.repeat(5000) },
  'extra key': { query: q, documents: ['a'], topN: 3 },
};
for (const [name, input] of Object.entries(inputs)) await expectCode(`process ${name}`, () => r.process(input as never));

const opts: Record<string, unknown> = {
  'budgetMs 0': { budgetMs: 0 },
  'budgetMs NaN': { budgetMs: NaN },
  'signal string': { signal: 'x' },
  'records not array': { records: 7 },
  'records wrong length': { records: [1, 2, 3] },
  'records junk': { records: ['junk'] },
  'chunking bad': { chunking: { max_tokens: 3 } },
  'framePooling bad': { framePooling: 'top0' },
  'scoreFusion bad': { scoreFusion: { kind: 'raw' } },
  'maxTokensPerDoc 0': { maxTokensPerDoc: 0 },
  'onStage not fn': { onStage: 7 },
  'unknown option': { budget: 5 },
  'options string': 'x',
};
for (const [name, o] of Object.entries(opts)) {
  await expectCode(`process options ${name}`, () => r.process({ query: q, documents: ['a'] }, o as never), (v) => name === 'records junk' || name === 'records wrong length');
}
const ac = new AbortController();
ac.abort(new Error('stop'));
await expectCode('process aborted signal', () => r.process({ query: q, documents: ['a'] }, { signal: ac.signal }));
await expectCode('process budget 1ms with an image', () => r.process({ query: q, documents: [{ image: img }] }, { budgetMs: 1 }), () => true);

for (const [name, docs] of Object.entries({ 'records null': null, 'records doc number': [7], 'records doc empty': [{}], 'records image missing': [{ image: `${DATA}/nope.jpg` }], 'records outside roots': [{ image: '/etc/hostname' }] })) {
  await expectCode(`records ${name}`, () => r.records(docs as never), (v) => /missing|outside/.test(name));
}
for (const [name, v] of Object.entries({ 'parseRecord null': null, 'parseRecord string': 'x', 'parseRecord obj': { v: 1 } })) await expectCode(name, () => parseRecord(v as never), (x) => x === undefined);
for (const [name, v] of Object.entries({ 'unpackRecord junk': 'x', 'unpackRecord b64': Buffer.from('hello').toString('base64'), 'unpackRecord null': null })) await expectCode(name, () => unpackRecord(v as never), (x) => x === undefined);
await expectCode('validateRerankInput bad', () => validateRerankInput({ query: 7 } as never, { maxDocuments: 1000 }));
await r.close();
await expectCode('process after close', () => r.process({ query: q, documents: ['a'] }));
console.log(`\n${n} calls, ${bad} with a problem`);
