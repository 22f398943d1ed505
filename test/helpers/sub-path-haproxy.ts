/**
 * Debian's HAProxy serving one backend at a sub-path, as an ingress or a shared host does
 * (`https://host/search-api/…` → vlrerank at `/`): requests under the prefix have it stripped and go
 * to the backend, `/prefix` alone is redirected to `/prefix/`, anything else is HAProxy's own 404 —
 * so a request that lost the prefix fails where a browser or a client can see it.
 */
import { answers, runHaproxy, type RunningHaproxy } from './haproxy.js';

export function subPathConfig(port: number, prefix: string, backend: string): string {
  return [
    'defaults',
    '    mode http',
    '    timeout connect 1s',
    '    timeout client 60s',
    '    timeout server 60s',
    'frontend sub',
    `    bind 127.0.0.1:${port}`,
    `    acl under path_beg ${prefix}/`,
    `    http-request redirect location ${prefix}/ code 301 if { path ${prefix} }`,
    '    http-request deny deny_status 404 if !under',
    `    http-request replace-path ${prefix}(/.*) \\1`,
    '    default_backend app',
    'backend app',
    `    server app ${new URL(backend).host}`,
    '',
  ].join('\n');
}

export async function startSubPathHaproxy(backend: string, prefix: string): Promise<RunningHaproxy> {
  return runHaproxy((port) => subPathConfig(port, prefix, backend), answers(`${prefix}/_vlrerank/health?live`, 200));
}
