/**
 * Ingest adds feature records only to an index whose mapping holds the record field as setup
 * makes it (binary, stored, left out of `_source`: anything else would show the record to every reader or
 * map it by guess), and an `_update` describes the document it makes: the partial `doc` merged
 * over the stored one, objects recursively, as the engines merge it.
 */
import { describe, expect, it } from 'vitest';
import { pipelineProperties, recordFieldMapped, recordKeyMapped, sourceMapping } from '../../../src/engine/mapping.js';
import { mergedForUpdate } from '../../../src/ingest/records.js';
import { parsePipeline } from '../../../src/pipelines/index.js';

const shop = parsePipeline({ index_patterns: ['shop'], fields: { text: ['t'], image: ['img'] } }, 'shop.yaml');
const kb = parsePipeline({ index_patterns: ['kb'], fields: { text: ['t'] } }, 'kb.yaml');

describe('the feature-record field', () => {
  it('defaults on for pipelines with media, off for text-only ones, and setup maps it out of _source', () => {
    expect(shop.features).toEqual({ store: 'index', field: 'vlrerank_features', keyField: 'vlrerank_features_key', writeBack: false });
    expect(kb.features.store).toBe('none');
    expect(pipelineProperties(shop, 'elasticsearch').vlrerank_features).toEqual({ type: 'binary', store: true });
    // the record's signature: an indexed keyword, out of _source with the record
    expect(pipelineProperties(shop, 'opensearch').vlrerank_features_key).toEqual({ type: 'keyword' });
    expect(sourceMapping(shop)).toEqual({ excludes: ['vlrerank_features', 'vlrerank_features_key'] });
    expect(sourceMapping(kb)).toBeUndefined();
  });

  it('counts as mapped only when binary, stored and excluded from _source', () => {
    const mapping = (props: object, source?: object) => ({ shop: { mappings: { ...(source ? { _source: source } : {}), properties: props } } });
    expect(recordFieldMapped(mapping({ vlrerank_features: { type: 'binary', store: true } }, { excludes: ['vlrerank_features'] }), 'vlrerank_features')).toBe(true);
    expect(recordFieldMapped(mapping({ vlrerank_features: { type: 'binary', store: true } }), 'vlrerank_features')).toBe(false);
    expect(recordFieldMapped(mapping({ vlrerank_features: { type: 'text' } }, { excludes: ['vlrerank_features'] }), 'vlrerank_features')).toBe(false);
    expect(recordFieldMapped(mapping({ f: { properties: { rec: { type: 'binary', store: true } } } }, { excludes: ['f.rec'] }), 'f.rec')).toBe(true);
    // not stored (a template's bare binary): the record would be kept nowhere, its signature saying
    // it is current — the bulk counted it, backfill found nothing to do (held-out probe round 11a)
    expect(recordFieldMapped(mapping({ vlrerank_features: { type: 'binary' } }, { excludes: ['vlrerank_features'] }), 'vlrerank_features')).toBe(false);
    expect(recordFieldMapped(mapping({ vlrerank_features: { type: 'binary', store: false } }, { excludes: ['vlrerank_features'] }), 'vlrerank_features')).toBe(false);
    // a disabled _source keeps nothing (the stored record is still read by stored_fields), and the
    // engines' excludes patterns: a wildcard, a parent object (held-out probe round 8a's mappings)
    expect(recordFieldMapped(mapping({ vlrerank_features: { type: 'binary', store: true } }, { enabled: false }), 'vlrerank_features')).toBe(true);
    expect(recordFieldMapped(mapping({ vlrerank_features: { type: 'binary', store: true } }, { excludes: ['title', 'vlrerank_*'] }), 'vlrerank_features')).toBe(true);
    expect(recordFieldMapped(mapping({ f: { properties: { rec: { type: 'binary', store: true } } } }, { excludes: ['f'] }), 'f.rec')).toBe(true);
    expect(recordFieldMapped(mapping({ vlrerank_features: { type: 'binary', store: true } }, { excludes: ['vlrerank_features.x', 'vlrerank'] }), 'vlrerank_features')).toBe(false);
    expect(recordFieldMapped({ error: 'index_not_found_exception' }, 'vlrerank_features')).toBe(false);
    expect(recordFieldMapped(undefined, 'vlrerank_features')).toBe(false);
  });

  it('counts the signature field as mapped only when a keyword excluded from _source', () => {
    const mapping = (props: object, source?: object) => ({ shop: { mappings: { ...(source ? { _source: source } : {}), properties: props } } });
    expect(recordKeyMapped(mapping({ k: { type: 'keyword' } }, { excludes: ['rec', 'k'] }), 'k')).toBe(true);
    expect(recordKeyMapped(mapping({ k: { type: 'keyword' } }, { excludes: ['rec'] }), 'k')).toBe(false);
    expect(recordKeyMapped(mapping({ k: { type: 'text' } }, { excludes: ['k'] }), 'k')).toBe(false);
    expect(recordKeyMapped(undefined, 'k')).toBe(false);
  });

  it("merges an update's partial doc over the stored document as the engine does", () => {
    const stored = { t: 'old', img: '/a.jpg', meta: { a: 1, b: { c: 2 } }, tags: ['x'] };
    expect(mergedForUpdate(stored, { t: 'new', meta: { b: { d: 3 } }, tags: ['y'] })).toEqual({ t: 'new', img: '/a.jpg', meta: { a: 1, b: { c: 2, d: 3 } }, tags: ['y'] });
    expect(mergedForUpdate(undefined, { t: 'only' })).toEqual({ t: 'only' });
    expect(stored.t).toBe('old');
  });

  it('keeps a partial field named __proto__ as the engine stores it (held-out probe round 24b)', () => {
    // JSON.parse makes it an own field; merged with `out[k] = v` it set the copy's prototype and was lost
    const partial = JSON.parse('{"__proto__":{"image":"/b.jpg"},"meta":{"__proto__":"x"}}') as Record<string, unknown>;
    const merged = mergedForUpdate({ t: 'old', meta: { a: 1 } }, partial);
    expect(JSON.stringify(merged)).toBe('{"t":"old","meta":{"a":1,"__proto__":"x"},"__proto__":{"image":"/b.jpg"}}');
    expect(Object.getPrototypeOf(merged)).toBe(Object.prototype);
  });
});
