/**
 * The names engine/ reads for a write (held-out probe round 11a): a data stream's backing index
 * named as each engine names it, and the legacy templates' mapping merged by `order` as the engine
 * merges it (simulating an index leaves legacy templates out).
 */
import { describe, expect, it } from 'vitest';
import { dataStreamOf } from '../../../src/engine/targets.js';
import { legacyTemplateMapping } from '../../../src/engine/write-mapping.js';

describe('dataStreamOf', () => {
  it('names the stream of Elasticsearch and OpenSearch backing indices, nothing else', () => {
    expect(dataStreamOf('.ds-logs-app-2026.12.05-000001')).toBe('logs-app');
    expect(dataStreamOf('.ds-logs-app-000012')).toBe('logs-app');
    expect(dataStreamOf('.ds-a-2026.12.05-2026.12.05-000003')).toBe('a-2026.12.05');
    for (const n of ['logs-app', '.ds-', '.ds-x', '.ds-x-12', 'x-000001', undefined]) expect(dataStreamOf(n)).toBeUndefined();
  });
});

describe('legacyTemplateMapping', () => {
  const templates = {
    low: { order: 0, index_patterns: ['p-*'], mappings: { properties: { a: { type: 'text' }, b: { type: 'text' } } } },
    high: { order: 5, index_patterns: ['p-x*'], mappings: { _source: { excludes: ['r'] }, properties: { b: { type: 'keyword' }, r: { type: 'binary', store: true } } } },
    other: { order: 9, index_patterns: ['q-*'], mappings: { properties: { a: { type: 'long' } } } },
  };
  it('merges the matching templates, the higher order over the lower', () => {
    expect(legacyTemplateMapping(templates, 'p-x1')).toEqual({ _source: { excludes: ['r'] }, properties: { a: { type: 'text' }, b: { type: 'keyword' }, r: { type: 'binary', store: true } } });
    expect(legacyTemplateMapping(templates, 'p-y')).toEqual({ properties: { a: { type: 'text' }, b: { type: 'text' } } });
  });
  it('is undefined when none matches or the answer is not templates', () => {
    expect(legacyTemplateMapping(templates, 'z')).toBeUndefined();
    expect(legacyTemplateMapping([], 'p-x')).toBeUndefined();
  });
});
