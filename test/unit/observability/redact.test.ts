/**
 * The redactor keeps credentials out of logs wherever they appear: secret query parameters (any
 * case, percent-encoded names), userinfo in URLs, auth-scheme values and URLs inside free text,
 * secret-named keys of logged objects (nested, in errors and their causes), and long data:
 * payloads cut short — while leaving ordinary paths and parameters as they were. Also the main
 * logger end to end: a line written through it holds none of the secrets.
 */
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../../src/observability/logger.js';
import { REDACTED, isSecretName, redactObject, redactText, redactUrl } from '../../../src/observability/redact.js';

const S = 'S3cr3tValue42';

describe('redactUrl', () => {
  it.each(['token', 'Token', 'TOKEN', 'api_key', 'apikey', 'ApiKey', 'access_token', 'password', 'secret', 'key', 'signature', 'X-Amz-Signature', 'client_secret', 'x-api-key', 'jwt', 'JWT', 'bearer', 'assertion'])('redacts ?%s=', (name) => {
    const out = redactUrl(`/idx/_search?size=3&${name}=${S}&q=x`);
    expect(out).not.toContain(S);
    expect(out).toBe(`/idx/_search?size=3&${name}=${REDACTED}&q=x`);
  });

  it('redacts a percent-encoded secret name and userinfo', () => {
    expect(redactUrl(`/_search?api%5Fkey=${S}`)).not.toContain(S);
    expect(redactUrl(`http://elastic:${S}@127.0.0.1:9200/_search?password=${S}`)).toBe(`http://${REDACTED}@127.0.0.1:9200/_search?password=${REDACTED}`);
  });

  it('truncates data: payloads and leaves ordinary URLs untouched', () => {
    const payload = `data:image/png;base64,${'A'.repeat(5000)}${S}`;
    const out = redactUrl(`/_vlrerank/media?src=${payload}`);
    expect(out).not.toContain(S);
    expect(out.length).toBeLessThan(200);
    expect(out).toContain('[5');
    for (const u of ['/', '/idx/_search', '/idx/_doc/1?refresh=true&routing=a', '/_cat/indices?v&h=index']) expect(redactUrl(u)).toBe(u);
  });
});

describe('redactText and redactObject', () => {
  it('redacts secrets inside free text', () => {
    const text = `fetch https://u:${S}@cdn.example/x.jpg?sig=${S} failed; https://cdn.example/y.jpg?jwt=${S} failed; Authorization: Bearer ${S}; ApiKey ${S}; data:image/jpeg;base64,${'Q'.repeat(200)}${S}`;
    const out = redactText(text);
    expect(out).not.toContain(S);
    expect(out).toContain('cdn.example/x.jpg');
  });

  it('redacts secret-named keys at any depth, in errors and their causes', () => {
    const err = new Error(`GET https://cdn.example/a.jpg?token=${S} failed`, { cause: new Error(`Basic ${S}`) });
    const o = redactObject({ headers: { authorization: `Bearer ${S}`, Cookie: `sid=${S}`, 'x-api-key': S, accept: 'application/json' }, config: { upstream: { tls: { key: S } }, adminToken: S }, err, list: [{ password: S }] });
    const json = JSON.stringify(o);
    expect(json).not.toContain(S);
    expect(json).toContain('application/json');
    expect(json).toContain('cdn.example/a.jpg');
  });

  it('names secrets by their names, not ordinary ones', () => {
    for (const n of ['token', 'adminToken', 'api_key', 'X-API-Key', 'password', 'client_secret', 'authorization', 'cookie', 'key']) expect(isSecretName(n), n).toBe(true);
    for (const n of ['size', 'q', 'index', 'route', 'status', 'code', 'reason', 'path']) expect(isSecretName(n), n).toBe(false);
  });

  it('a line through the main logger holds no secret', () => {
    let out = '';
    const sink = new Writable({ write: (c, _e, cb) => ((out += c.toString()), cb()) });
    const log = createLogger('info', sink);
    log.warn({ reason: `media https://u:${S}@h/x?signature=${S} unreadable`, headers: { 'x-vlrerank-admin-token': S }, err: new Error(`token=${S}`) }, 'hits whose media could not be read');
    expect(out).toContain('hits whose media could not be read');
    expect(out).not.toContain(S);
  });
});
