/**
 * Which of a client's headers say who it is (engine/targets.ts): they go with every call vlrerank
 * makes for it later (the record write-back) and key what is kept from its reads. Besides the
 * engines' own, the headers gateways in front of a shared cluster take (held-out probe round 13a:
 * a tenant known by Kong's `apikey` was neither, and shared what every such tenant was told).
 */
import { describe, expect, it } from 'vitest';
import { credentialHeaders, credentialsKey } from '../../../src/engine/targets.js';

const raw = (...kv: string[]) => kv;

describe('credential headers', () => {
  it('takes the engines\' own and any header whose name says it carries credentials', () => {
    const h = raw('Authorization', 'Basic x', 'apikey', 'k1', 'X-Auth-Token', 't', 'x-tenant-id', 'a', 'X-Scope-OrgID', 'o', 'x-forwarded-user', 'u', 'es-security-runas-user', 'r', 'Cookie', 'c');
    expect(Object.keys(credentialHeaders(h)).sort()).toEqual(['apikey', 'authorization', 'cookie', 'es-security-runas-user', 'x-auth-token', 'x-forwarded-user', 'x-scope-orgid', 'x-tenant-id']);
  });

  it('leaves out what describes the request, not the client', () => {
    const h = raw('user-agent', 'ua', 'traceparent', '00-1', 'x-opaque-id', 'o', 'accept', 'application/json', 'content-type', 'application/json', 'x-elastic-client-meta', 'es=8', 'x-vlrerank-admin-token', 'adm');
    expect(credentialHeaders(h)).toEqual({});
    expect(credentialsKey(h)).toBe('');
  });

  it('keys two tenants known by the same gateway header apart, and one tenant alike whatever else it sends', () => {
    const a = credentialsKey(raw('apikey', 'ka-secret-1', 'user-agent', 'one'));
    expect(a).not.toBe('');
    expect(credentialsKey(raw('apikey', 'kb-secret-2', 'user-agent', 'one'))).not.toBe(a);
    expect(credentialsKey(raw('user-agent', 'two', 'apikey', 'ka-secret-1', 'traceparent', '00-2'))).toBe(a);
  });
});
