/**
 * A pipeline's own first stage for a search box that reranks on every keystroke (held-out probe
 * round 26c): `first_stage.match_type: bool_prefix` reads the last word as a prefix, so "pinea"
 * finds the pineapple, where the pipeline's `best_fields` match found nothing (a client had to send
 * its own `bool_prefix` query); that word is being typed, so `fuzzy.correct` never reads it as a
 * misspelling, while a misspelt word before it is still corrected. On each engine (the first-stage
 * request changed), real models, the 28 fruits of the grocery catalog (../shared/data) as text
 * documents.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ALL_ENGINES, clientSearch, fruitIndexProxy, pipelinesDir, textPipeline, type SearchProxy } from '../../helpers/search-fixtures.js';

const INDEX = 'prefix-type-fruit';

function pipelines(): string {
  const withFirstStage = (name: string, extra: string) => {
    const y = textPipeline(name, INDEX).replace('match_fields: [title, text] }', `match_fields: [title, text]${extra} }`);
    if (!y.includes(extra)) throw new Error('textPipeline changed its first_stage line: update this test');
    return y;
  };
  return pipelinesDir({
    'typing.yaml': withFirstStage('typing', ', match_type: bool_prefix, fuzzy: { boost: 0.3 }'),
    'words.yaml': withFirstStage('words', ', fuzzy: { boost: 0.3 }'),
  });
}

describe.each(ALL_ENGINES)('first_stage.match_type bool_prefix on %s', (engine) => {
  let p: SearchProxy;
  beforeAll(async () => {
    p = await fruitIndexProxy(engine, pipelines(), 'typing', INDEX);
  }, 600_000);
  afterAll(async () => {
    await p?.engine.json('DELETE', `/${INDEX}`);
    await p?.close();
  });

  const search = async (text: string, pipeline: string) => {
    const body = await clientSearch(engine, p.url, { index: INDEX, body: { size: 20, _source: false, ext: { vlrerank: { query: { text }, explain: true, pipeline } } } });
    expect(body.vlrerank.degraded).toBe(false);
    return { body, ids: (body.hits.hits as Array<{ _id: string }>).map((h) => h._id) };
  };

  it('finds a half-typed word by its prefix, which whole-word matching does not', { timeout: 300_000 }, async () => {
    const typing = await search('pinea', 'typing');
    expect(typing.ids[0], typing.ids.join(', ')).toBe('Pineapple');
    const words = await search('pinea', 'words');
    expect(words.ids).not.toContain('Pineapple');
  });

  it('reads the word being typed completed from the window, never as a misspelling, and still corrects a misspelt word before it', { timeout: 300_000 }, async () => {
    // the stump read as typed put the melons first ("lemo" is near "melon" for bge)
    const typed = await search('class 1 lemo', 'typing');
    expect(typed.body.vlrerank.query_text).toBe('class 1 lemon');
    expect(typed.body.vlrerank.query_text_typed).toBe('class 1 lemo');
    expect(typed.ids[0], typed.ids.join(', ')).toBe('Lemon');
    // "bananna" corrected by the suggesters, "kla" completed (never corrected: it is being typed)
    const r = await search('bananna kla', 'typing');
    expect(r.body.vlrerank.query_text).toBe('banana klass');
    expect(r.ids[0], r.ids.join(', ')).toBe('Banana');
    // a whole word a document holds is left as typed
    const whole = await search('lemon', 'typing');
    expect(whole.body.vlrerank.query_text).toBe('lemon');
    expect(whole.body.vlrerank.query_text_typed).toBeUndefined();
  });
});
