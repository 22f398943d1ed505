import { describe, expect, it } from 'vitest';
import { requestedWaitMs, searchWaitMs, timeValueMs } from '../../../src/engine/wait-timeout.js';

describe('the wait a request asks of the engine', () => {
  it('reads timeout and master_timeout in the engines\' time units, the longer of them', () => {
    expect(requestedWaitMs('/_cluster/health?wait_for_status=green&timeout=120s')).toBe(120_000);
    expect(requestedWaitMs('/_cluster/health?timeout=2m&master_timeout=30s')).toBe(120_000);
    expect(requestedWaitMs('/idx/_settings?master_timeout=1.5h')).toBe(5_400_000);
    expect(timeValueMs('500ms')).toBe(500);
    expect(timeValueMs('1d')).toBe(86_400_000);
  });
  it('asks nothing for no parameter, -1 (no limit), 0 or a value it cannot read', () => {
    expect(requestedWaitMs('/_cluster/health')).toBeUndefined();
    expect(requestedWaitMs('/_cluster/health?timeout=-1')).toBeUndefined();
    expect(requestedWaitMs('/_cluster/health?timeout=0s')).toBeUndefined();
    expect(requestedWaitMs('/_cluster/health?timeout=soon')).toBeUndefined();
    expect(requestedWaitMs('/_search?q=timeout%3D3s')).toBeUndefined();
  });
  it("reads a search's body `timeout` too, the longer of it and the query string's", () => {
    expect(searchWaitMs('/i/_search', { timeout: '30s', query: {} })).toBe(30_000);
    expect(searchWaitMs('/i/_search?timeout=2m', { timeout: '30s' })).toBe(120_000);
    expect(searchWaitMs('/i/_search?timeout=10s', { timeout: '1m' })).toBe(60_000);
    expect(searchWaitMs('/i/_search?timeout=10s', {})).toBe(10_000);
    expect(searchWaitMs('/i/_search', { timeout: 30 })).toBeUndefined();
    expect(searchWaitMs('/i/_search', { timeout: '-1' })).toBeUndefined();
  });
});
