/**
 * The table of the engine's CORS answers per origin (src/search/cors.ts; held-out probe round 14f):
 * an engine that allows any origin (`http.cors.allow-origin: "*"`) is mirrored for every origin, also
 * one it was asked about on its own; an origin it refuses gets nothing.
 */
import { describe, expect, it } from 'vitest';
import { askEngineCors, corsFor, learnCors, type CorsPool } from '../../../src/search/cors.js';

/** What an engine answers a preflight: `allow` is its `http.cors.allow-origin` (a single origin or `*`), undefined: refused. */
const preflightAnswers = (allow: (origin: string) => string | undefined): CorsPool => ({
  async request(r) {
    const a = allow(r.headers!.origin!);
    return { headers: a ? { 'access-control-allow-origin': a, vary: 'origin' } : {}, body: { dump: async () => {} } };
  },
});

describe('the engine CORS table', () => {
  it('gives nothing to a request without an Origin or an origin never allowed', async () => {
    expect(corsFor(undefined)).toEqual({});
    await askEngineCors(preflightAnswers(() => undefined), 'http://refused.example');
    expect(corsFor('http://refused.example')).toEqual({});
  });

  it('mirrors an origin the engine allowed', async () => {
    await askEngineCors(preflightAnswers((o) => o), 'http://page.example');
    expect(corsFor('http://page.example')['access-control-allow-origin']).toBe('http://page.example');
  });

  it('mirrors `*` for every origin once the engine answered `*`, also one refused before', () => {
    learnCors({ 'access-control-allow-origin': '*' });
    expect(corsFor('http://other.example')['access-control-allow-origin']).toBe('*');
    expect(corsFor('http://refused.example')['access-control-allow-origin']).toBe('*');
  });
});
