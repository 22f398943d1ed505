/**
 * forwardRequestHeaders / forwardResponseHeaders (RFC 9110 §7.6.1), fuzzed: the output never holds
 * a hop-by-hop header or one that Connection names, and holds every other header in order.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { forwardRequestHeaders, forwardResponseHeaders } from '../../../src/proxy/hop-by-hop.js';

const HOP = ['Connection', 'Keep-Alive', 'TE', 'Trailer', 'Transfer-Encoding', 'Upgrade', 'Proxy-Authorization', 'Proxy-Connection', 'Proxy-Authenticate'];
const KEEP = ['Authorization', 'X-Api-Key', 'x-elastic-product', 'Content-Type', 'Content-Encoding', 'Content-Length', 'Set-Cookie', 'X-Opaque-Id', 'Accept'];
const token = fc.stringMatching(/^[A-Za-z][A-Za-z0-9-]{0,12}$/);

describe('hop-by-hop header removal', () => {
  it('keeps end-to-end headers in order and drops the rest', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.constantFrom(...HOP, ...KEEP), fc.string({ maxLength: 20 }).map((s) => s.replace(/[\r\n,]/g, ''))), { maxLength: 20 }),
        fc.array(token, { maxLength: 3 }),
        (pairs, named) => {
          const raw = pairs.flat();
          if (named.length) raw.push('Connection', named.join(', '));
          for (const n of named) raw.push(n, 'v');
          const namedLower = new Set(named.map((n) => n.toLowerCase()));
          for (const out of [forwardResponseHeaders(raw), forwardRequestHeaders(raw)]) {
            const names = out.filter((_, i) => i % 2 === 0).map((n) => n.toLowerCase());
            for (const n of names) {
              expect(HOP.map((h) => h.toLowerCase())).not.toContain(n);
              expect(namedLower.has(n)).toBe(false);
            }
            const expected = pairs.filter(([k]) => KEEP.includes(k) && !namedLower.has(k.toLowerCase())).flat();
            expect(out).toEqual(expected);
          }
        },
      ),
    );
  });

  it('drops Host and Expect from requests only', () => {
    const raw = ['Host', 'client:9200', 'Expect', '100-continue', 'Accept', '*/*'];
    expect(forwardRequestHeaders(raw)).toEqual(['Accept', '*/*']);
    expect(forwardResponseHeaders(raw)).toEqual(raw);
  });

  it('reads every Connection header, case-insensitively', () => {
    const raw = ['connection', 'X-A', 'CONNECTION', 'x-b', 'X-A', '1', 'x-B', '2', 'X-C', '3'];
    expect(forwardResponseHeaders(raw)).toEqual(['X-C', '3']);
  });

  it('reads each request on its own, though the names a Connection value lists are kept by value', () => {
    // the same value again, after it was merged with a second Connection header: nothing carried over
    expect(forwardRequestHeaders(['Connection', 'x-a', 'Connection', 'x-b', 'X-A', '1', 'X-B', '2', 'X-C', '3'])).toEqual(['X-C', '3']);
    expect(forwardRequestHeaders(['Connection', 'x-a', 'X-A', '1', 'X-B', '2'])).toEqual(['X-B', '2']);
    expect(forwardRequestHeaders(['Connection', 'keep-alive', 'Keep-Alive', 'timeout=5', 'X-B', '2'])).toEqual(['X-B', '2']);
    expect(forwardRequestHeaders(['Connection', 'keep-alive', 'X-A', '1'])).toEqual(['X-A', '1']);
  });
});
