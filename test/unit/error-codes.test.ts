/**
 * Every error code is unique, documented and maps to an HTTP error status and an ES-style type;
 * serialised errors have the shape the official clients parse, and internal errors never leak
 * their message or stack.
 */
import { describe, expect, it } from 'vitest';
import { ERROR_CODES, esErrorBody, refusalError, vlrError, VlrerankError } from '../../src/errors.js';

describe('error codes', () => {
  const entries = Object.entries(ERROR_CODES);

  it('are unique VLR_ names with a doc, an HTTP error status and a snake_case type', () => {
    expect(new Set(entries.map(([k]) => k)).size).toBe(entries.length);
    for (const [code, spec] of entries) {
      expect(code).toMatch(/^VLR_[A-Z0-9_]+$/);
      expect(spec.doc.length, code).toBeGreaterThan(10);
      expect(spec.status, code).toBeGreaterThanOrEqual(400);
      expect(spec.status, code).toBeLessThan(600);
      expect(spec.type, code).toMatch(/^[a-z][a-z_]*[a-z]$/);
    }
  });

  it('have distinct docs (no copy-pasted meaning)', () => {
    const docs = entries.map(([, s]) => s.doc);
    expect(new Set(docs).size).toBe(docs.length);
  });

  it('serialise to the ES error shape with the code, status and cause', () => {
    const e = vlrError('VLR_UPSTREAM_TIMEOUT', 'upstream x did not answer', { cause: new Error('headers timeout') });
    expect(esErrorBody(e)).toEqual({
      error: { type: 'upstream_timeout_exception', reason: 'upstream x did not answer', vlrerank_code: 'VLR_UPSTREAM_TIMEOUT', caused_by: { type: 'exception', reason: 'headers timeout' } },
      status: 504,
    });
  });

  it('a refusal is the same error without stack frames, and the stack trace limit is restored', () => {
    const limit = Error.stackTraceLimit;
    const e = refusalError('VLR_OVERLOADED', 'queue full; retry later', { details: { retry_after_s: 2 } });
    expect(e).toBeInstanceOf(VlrerankError);
    expect(e.toJSON()).toEqual(vlrError('VLR_OVERLOADED', 'queue full; retry later', { details: { retry_after_s: 2 } }).toJSON());
    expect(e.stack).not.toMatch(/\n\s+at /);
    expect(Error.stackTraceLimit).toBe(limit);
    expect(new Error('x').stack).toMatch(/\n\s+at /);
  });

  it('never leak an internal error message or stack', () => {
    const body = esErrorBody(new Error('secret path /root/x at foo.ts:12'));
    expect(body.status).toBe(500);
    expect(JSON.stringify(body)).not.toContain('secret');
    expect(body.error.vlrerank_code).toBe('VLR_INTERNAL');
  });

  it('let a status override the default one', () => {
    expect(new VlrerankError('VLR_BAD_REQUEST', 'too big', { status: 413 }).status).toBe(413);
  });
});
