/**
 * The table of the engine's CORS answers per origin (src/search/cors.ts; held-out probe round 14f):
 * an engine that allows any origin (`http.cors.allow-origin: "*"`) is mirrored for every origin, also
 * one it was asked about on its own; an origin it refuses gets nothing. Each table is one server's
 * (fix15): what one learns, another does not know.
 */
import { describe, expect, it } from 'vitest';
import { CorsTable, type CorsPool } from '../../../src/search/cors.js';

/** What an engine answers a preflight: `allow` is its `http.cors.allow-origin` (a single origin or `*`), undefined: refused. */
const preflightAnswers = (allow: (origin: string) => string | undefined): CorsPool => ({
  async request(r) {
    const a = allow(r.headers!.origin!);
    return { headers: a ? { 'access-control-allow-origin': a, vary: 'origin' } : {}, body: { dump: async () => {} } };
  },
});

describe('the engine CORS table', () => {
  it('gives nothing to a request without an Origin or an origin never allowed', async () => {
    const t = new CorsTable();
    expect(t.for(undefined)).toEqual({});
    await t.ask(preflightAnswers(() => undefined), 'http://refused.example');
    expect(t.for('http://refused.example')).toEqual({});
  });

  it('mirrors an origin the engine allowed', async () => {
    const t = new CorsTable();
    await t.ask(preflightAnswers((o) => o), 'http://page.example');
    expect(t.for('http://page.example')['access-control-allow-origin']).toBe('http://page.example');
  });

  it('mirrors `*` for every origin once the engine answered `*`, also one refused before', async () => {
    const t = new CorsTable();
    await t.ask(preflightAnswers(() => undefined), 'http://refused.example');
    t.learn({ 'access-control-allow-origin': '*' });
    expect(t.for('http://other.example')['access-control-allow-origin']).toBe('*');
    expect(t.for('http://refused.example')['access-control-allow-origin']).toBe('*');
  });

  it("keeps one table's lessons out of another's", async () => {
    const a = new CorsTable();
    const b = new CorsTable();
    await a.ask(preflightAnswers((o) => o), 'http://page.example');
    expect(b.for('http://page.example')).toEqual({});
    let asked = 0;
    await b.ask({ request: async (r) => (asked++, preflightAnswers(() => undefined).request(r)) }, 'http://page.example');
    expect(asked).toBe(1);
  });
});
