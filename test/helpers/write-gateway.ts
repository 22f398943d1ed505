/**
 * An authenticating gateway (Debian's HAProxy, a `userlist`) in front of a real engine where a tenant
 * may read `f14-gw-*` but not write single documents there: `writer` (`writer-pw`) may do anything;
 * `reader` (`reader-pw`) reads, and its `_doc`/`_create`/`_update` writes get an ES-shaped 403 —
 * unless the request carries `x-f14-granted: yes` (the rights granted meanwhile, with the same
 * credentials). No credentials or wrong ones: an ES-shaped 401. Each request is logged
 * (`METHOD /path STATUS`).
 */
import { GATEWAY_DEFAULTS, startGatewayHaproxy, type GatewayHaproxy } from './haproxy.js';

export type WriteGateway = GatewayHaproxy;

const config = (port: number, engine: string) => `${GATEWAY_DEFAULTS}
userlist tenants
    group rd
    group wr
    user reader insecure-password reader-pw groups rd
    user writer insecure-password writer-pw groups wr
frontend fe
    bind 127.0.0.1:${port}
    log stdout format raw local0
    log-format "%HM %HP %ST"
    acl u_rd http_auth_group(tenants) rd
    acl u_wr http_auth_group(tenants) wr
    acl doc_write path_reg ^/f14-gw-[^/]*/(_doc|_create|_update)(/|$)
    acl granted req.hdr(x-f14-granted) -m str yes
    acl write_m method PUT POST DELETE
    http-request return status 401 content-type "application/json; charset=UTF-8" string "{\\"error\\":{\\"root_cause\\":[{\\"type\\":\\"security_exception\\",\\"reason\\":\\"unable to authenticate user for REST request\\"}],\\"type\\":\\"security_exception\\",\\"reason\\":\\"unable to authenticate user for REST request\\"},\\"status\\":401}" hdr WWW-Authenticate "Basic realm=\\"security\\"" if !u_rd !u_wr
    http-request return status 403 content-type "application/json; charset=UTF-8" string "{\\"error\\":{\\"root_cause\\":[{\\"type\\":\\"security_exception\\",\\"reason\\":\\"action [indices:data/write/index] is unauthorized for user [reader]\\"}],\\"type\\":\\"security_exception\\",\\"reason\\":\\"action [indices:data/write/index] is unauthorized for user [reader]\\"},\\"status\\":403}" if u_rd doc_write write_m !granted
    default_backend es
backend es
    server es1 ${engine}
`;

export async function startWriteGateway(engineUrl: string): Promise<WriteGateway> {
  return startGatewayHaproxy((port) => config(port, new URL(engineUrl).host), 401, (l) => /^(GET|PUT|POST|HEAD|DELETE) /.test(l));
}
