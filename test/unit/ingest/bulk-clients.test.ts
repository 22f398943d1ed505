/**
 * Which clients retry a `_bulk`'s per-item 429s (src/ingest/bulk-clients.ts): the Go clients' bulk
 * helpers do not (held-out probe round 22b), so their `_bulk` gets no time budget. The header lists
 * are what each real client sent (captured on this machine).
 */
import { describe, expect, it } from 'vitest';
import { retriesRejectedItems } from '../../../src/ingest/bulk-clients.js';

const flat = (h: Record<string, string>) => Object.entries(h).flat();

describe('retriesRejectedItems', () => {
  it('no for go-elasticsearch (User-Agent and X-Elastic-Client-Meta), opensearch-go (User-Agent)', () => {
    expect(retriesRejectedItems(flat({ 'User-Agent': 'go-elasticsearch/8.19.7 (linux amd64; Go 1.26.8)', 'X-Elastic-Client-Meta': 'es=8.19.7,go=1.26.8,t=8.9.0,hc=1.26.8,h=bp' }))).toBe(false);
    expect(retriesRejectedItems(flat({ 'User-Agent': 'opensearch-go/4.8.1 (linux amd64; Go 1.26.8)' }))).toBe(false);
  });
  it('no for go-elasticsearch with a User-Agent of the team\'s own (its meta header stays)', () => {
    expect(retriesRejectedItems(flat({ 'user-agent': 'orders-service/2.1', 'x-elastic-client-meta': 'es=8.19.7,go=1.26.8,t=8.9.0,hc=1.26.8,h=bp' }))).toBe(false);
  });
  it('yes for the JS and Python clients, curl and a request without headers', () => {
    expect(retriesRejectedItems(flat({ 'user-agent': 'elasticsearch-js/8.19.1 (linux 6.1.0-x64; Node.js 20.20.0; Transport 8.9.5)', 'x-elastic-client-meta': 'es=8.19.1,js=20.20.0,t=8.9.5,hc=20.20.0,h=bp' }))).toBe(true);
    expect(retriesRejectedItems(flat({ 'user-agent': 'elasticsearch-py/8.19.0 (Python/3.11.2; elastic-transport/8.17.1)', 'x-elastic-client-meta': 'es=8.19.0,py=3.11.2,t=8.17.1,ur=2.5.0,h=bp' }))).toBe(true);
    expect(retriesRejectedItems(flat({ 'user-agent': 'opensearch-js/3.9.0 (linux 6.1.0-x64; Node.js v20.20.0)' }))).toBe(true);
    expect(retriesRejectedItems(flat({ 'user-agent': 'curl/7.88.1' }))).toBe(true);
    expect(retriesRejectedItems([])).toBe(true);
  });
  it('a meta key merely containing "go" is not Go', () => {
    expect(retriesRejectedItems(flat({ 'x-elastic-client-meta': 'es=8.19.0,gozer=1,h=bp' }))).toBe(true);
  });
});
