/**
 * `npm run bench:text`: what running each text alone costs (bge-small int8, `text.runAlone`), as
 * ratios to the batched runs it replaced, measured in the same run on the same texts: SciFact
 * abstracts (long, the knowledge base's ingest) and SciFact queries (short, a search's encode).
 * Also prints how far batched vectors drift from the alone ones (the batch noise that made the
 * same pair score differently in two processes, PITFALLS.md).
 * The baseline replays the old grouping (lengthGroups + padBatch, one run per group) on the same
 * session; it never changes what the product does. Prints figures, asserts nothing.
 *
 * Usage: npm run bench:text [-- --quick]
 */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { modelsSchema } from '../../src/config/schema.js';
import { Models, type TextEmbedder } from '../../src/models/index.js';
import { ort } from '../../src/models/session.js';
import { lengthGroups } from '../../src/models/encoders/text-embedder.js';
import { padBatch, type Encoded } from '../../src/models/tokenizer.js';
import { dot as cosine, l2normalize } from '../../src/util/vector.js';

const quick = process.argv.includes('--quick');
const DATA = resolve(process.env.VLRERANK_DATA_DIR ?? '../shared/data', 'scifact-beir');
const lines = (f: string) => readFileSync(join(DATA, f), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as { title?: string; text: string });
const abstracts = lines('corpus.jsonl').slice(0, quick ? 32 : 96).map((d) => `${d.title ?? ''}\n${d.text}`);
const queries = lines('queries.jsonl').slice(0, quick ? 64 : 256).map((q) => q.text);

/** The old path: groups of similar length, padded, one run per group (CLS pooling, normalised). */
async function batched(emb: TextEmbedder, encs: Encoded[], batch: number): Promise<Float32Array[]> {
  const out = new Array<Float32Array>(encs.length);
  for (let s = 0; s < encs.length; s += batch) {
    const slice = encs.slice(s, s + batch);
    for (const g of lengthGroups(slice)) {
      const { seq, ids, mask, types } = padBatch(g.map((i) => slice[i]!), emb.text.padId);
      const dims = [g.length, seq];
      const name = emb.manifest.io.model!.outputs[0]!;
      const o = (await emb.session.run({ input_ids: new ort.Tensor('int64', ids, dims), attention_mask: new ort.Tensor('int64', mask, dims), token_type_ids: new ort.Tensor('int64', types, dims) }, [name]))[name]!;
      const h = o.dims[2]!;
      const data = o.data as Float32Array;
      g.forEach((i, r) => (out[s + i] = l2normalize(data.slice(r * seq * h, r * seq * h + h))));
    }
  }
  return out;
}

async function time<T>(f: () => Promise<T>): Promise<{ v: T; s: number }> {
  const t0 = performance.now();
  const v = await f();
  return { v, s: (performance.now() - t0) / 1000 };
}

async function main(): Promise<void> {
  const models = await Models.create(modelsSchema.parse({ dir: resolve(process.env.VLRERANK_MODELS_DIR ?? '../shared/models'), intraOpThreads: 2, batch: { maxBatchSize: 16, maxWaitMs: 0, maxQueue: 4096 } }));
  const emb = await models.textEmbedder();
  if (!emb.text.runAlone) throw new Error(`${emb.id}: manifest text.runAlone is off; nothing to compare`);
  await emb.embed(['warm-up'], { kind: 'query' });
  for (const [label, texts, kind] of [['SciFact abstracts', abstracts, 'passage'], ['SciFact queries', queries, 'query']] as const) {
    const encs = texts.map((t) => emb.encode(t, kind));
    // interleave the two ways twice, so load on the shared machine falls on both
    let alone = 0;
    let grouped = 0;
    let vAlone: Float32Array[] = [];
    let vBatched: Float32Array[] = [];
    for (let rep = 0; rep < 2; rep++) {
      const a = await time(() => emb.embedEncoded(encs));
      const b = await time(() => batched(emb, encs, 16));
      alone += a.s;
      grouped += b.s;
      vAlone = a.v;
      vBatched = b.v;
    }
    let worst = 1;
    for (let i = 0; i < encs.length; i++) worst = Math.min(worst, cosine(vAlone[i]!, vBatched[i]!));
    const again = await emb.embedEncoded(encs.slice(0, 8).reverse());
    const same = again.every((v, i) => v.every((x, k) => x === vAlone[7 - i]![k]));
    console.log(
      `${label} (${texts.length}, ${kind}): alone ${(2 * texts.length / alone).toFixed(1)}/s, batched ≤16 ${(2 * texts.length / grouped).toFixed(1)}/s — ` +
        `time alone / batched = ${(alone / grouped).toFixed(2)}×; min cosine(batched, alone) ${worst.toFixed(4)}; alone bit-identical in another order: ${same}`,
    );
  }
  await models.close();
}

await main();
