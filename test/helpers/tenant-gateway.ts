/**
 * An authenticating gateway in front of a real engine, as a company sharing one cluster between
 * teams puts one (the thin engine builds here have no security of their own): Debian's HAProxy with
 * a `userlist` and ACLs. Tenant A (`alice`, Kong-style `apikey: ka-secret-1`, `Bearer tok-a`) may
 * read and write `p13a-a-*`; tenant B (`bob`, `ApiKey YjpzZWNyZXQtYg==`, `apikey: kb-secret-2`) may
 * only read `p13a-b-*`; `svc` may do anything. Each may read `_resolve/index`, `_alias` and
 * `_mapping` of its own prefix, and `_cluster/health` / `_nodes/_local`. No credentials or wrong
 * ones: an ES-shaped 401 with `WWW-Authenticate`; anything else: an ES-shaped 403. Its log line per
 * request names who the gateway took the request for (`who=a|b|adm|-`).
 */
import { GATEWAY_DEFAULTS, startGatewayHaproxy, type GatewayHaproxy } from './haproxy.js';

export type TenantGateway = GatewayHaproxy;

const config = (port: number, engine: string) => `${GATEWAY_DEFAULTS}
userlist tenants
    group ta
    group tb
    group adm
    user alice insecure-password alice-pw groups ta
    user bob insecure-password bob-pw groups tb
    user svc insecure-password svc-pw groups adm
frontend fe
    bind 127.0.0.1:${port}
    log stdout format raw local0
    log-format "%HM %HP %ST who=%[var(txn.who)]"
    # tenant by Basic user, by Kong-style \`apikey\` header, or by ApiKey/Bearer
    acl u_a http_auth_group(tenants) ta
    acl u_b http_auth_group(tenants) tb
    acl u_adm http_auth_group(tenants) adm
    acl k_a req.hdr(apikey) -m str ka-secret-1
    acl k_b req.hdr(authorization) -m str "ApiKey YjpzZWNyZXQtYg=="
    acl k_b req.hdr(apikey) -m str kb-secret-2
    acl t_a req.hdr(authorization) -m str "Bearer tok-a"
    acl anyauth req.hdr(authorization) -m found
    acl anyauth req.hdr(apikey) -m found
    acl p_a path_reg ^/(p13a-a-[^/,*]*)(/|$)
    acl p_b path_reg ^/(p13a-b-[^/,*]*)(/|$)
    acl r_a path_reg ^/(_resolve/index|_alias|_mapping)/p13a-a-
    acl r_b path_reg ^/(_resolve/index|_alias|_mapping)/p13a-b-
    acl health path /_cluster/health /_nodes/_local
    acl readm method GET HEAD
    acl readpath path_reg /(_search|_msearch|_mget|_count|_mapping(/.*)?|_doc/[^/]+|_source/[^/]+|_field_caps)$
    acl readpost path_reg /(_search|_msearch|_mget|_count|_field_caps)$
    http-request set-var(txn.who) str(adm) if u_adm
    http-request set-var(txn.who) str(a) if u_a || k_a || t_a
    http-request set-var(txn.who) str(b) if u_b || k_b
    acl who_a var(txn.who) -m str a
    acl who_b var(txn.who) -m str b
    acl who_adm var(txn.who) -m str adm
    acl who_any var(txn.who) -m found
    http-request return status 401 content-type "application/json; charset=UTF-8" string "{\\"error\\":{\\"root_cause\\":[{\\"type\\":\\"security_exception\\",\\"reason\\":\\"missing authentication credentials for REST request\\"}],\\"type\\":\\"security_exception\\",\\"reason\\":\\"missing authentication credentials for REST request\\"},\\"status\\":401}" hdr WWW-Authenticate "Basic realm=\\"security\\", charset=\\"UTF-8\\"" hdr WWW-Authenticate "ApiKey" if !who_any !anyauth
    http-request return status 401 content-type "application/json; charset=UTF-8" string "{\\"error\\":{\\"root_cause\\":[{\\"type\\":\\"security_exception\\",\\"reason\\":\\"unable to authenticate user for REST request\\"}],\\"type\\":\\"security_exception\\",\\"reason\\":\\"unable to authenticate user for REST request\\"},\\"status\\":401}" hdr WWW-Authenticate "Basic realm=\\"security\\", charset=\\"UTF-8\\"" if !who_any
    http-request set-header X-P13a-Who %[var(txn.who)]
    http-request allow if who_adm
    http-request allow if health
    http-request allow if who_a p_a
    http-request allow if who_a r_a
    http-request allow if who_b p_b readm readpath
    http-request allow if who_b p_b METH_POST readpost
    http-request allow if who_b r_b readm
    http-request return status 403 content-type "application/json; charset=UTF-8" string "{\\"error\\":{\\"root_cause\\":[{\\"type\\":\\"security_exception\\",\\"reason\\":\\"action is unauthorized for user\\"}],\\"type\\":\\"security_exception\\",\\"reason\\":\\"action is unauthorized for user\\"},\\"status\\":403}"
    default_backend es
backend es
    http-request del-header apikey
    server es1 ${engine}
`;

export async function startTenantGateway(engineUrl: string): Promise<TenantGateway> {
  return startGatewayHaproxy((port) => config(port, new URL(engineUrl).host), 401, (l) => / who=/.test(l));
}
