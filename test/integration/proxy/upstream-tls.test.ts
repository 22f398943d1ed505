/**
 * Upstream over https with a custom CA and a client certificate (upstream.tls): the proxy verifies
 * the cluster's certificate against the CA and presents its own; a missing client certificate or
 * an unknown CA fails as an ES-shaped 502, not a hang. The cluster is a TLS server requiring client
 * certificates (the Maven engines run without TLS); certificates are made with openssl per run.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startProxy } from '../../helpers/proxy.js';

const dir = mkdtempSync(join(tmpdir(), 'vlr-tls-'));
const f = (n: string) => join(dir, n);
let cluster: Server;
let url: string;

function openssl(...args: string[]): void {
  execFileSync('openssl', args, { stdio: 'pipe' });
}

function issue(name: string, cn: string, ext: string): void {
  openssl('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', f(`${name}.key`), '-out', f(`${name}.csr`), '-subj', `/CN=${cn}`);
  writeFileSync(f(`${name}.ext`), ext);
  openssl('x509', '-req', '-in', f(`${name}.csr`), '-CA', f('ca.pem'), '-CAkey', f('ca.key'), '-CAcreateserial', '-out', f(`${name}.pem`), '-days', '2', '-extfile', f(`${name}.ext`));
}

beforeAll(async () => {
  openssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', f('ca.key'), '-out', f('ca.pem'), '-days', '2', '-subj', '/CN=vlrerank test CA');
  issue('server', 'localhost', 'subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n');
  issue('client', 'vlrerank-proxy', 'extendedKeyUsage=clientAuth\n');
  cluster = createServer({ key: readFileSync(f('server.key')), cert: readFileSync(f('server.pem')), ca: readFileSync(f('ca.pem')), requestCert: true, rejectUnauthorized: true }, (req, res) => {
    req.resume();
    const peer = (req.socket as TLSSocket).getPeerCertificate();
    res.writeHead(200, { 'content-type': 'application/json', 'x-elastic-product': 'Elasticsearch' });
    res.end(JSON.stringify({ path: req.url, client: peer.subject?.CN }));
  });
  await new Promise<void>((r) => cluster.listen(0, '127.0.0.1', r));
  url = `https://localhost:${(cluster.address() as AddressInfo).port}`;
});
afterAll(async () => {
  cluster?.closeAllConnections();
  await new Promise((r) => cluster?.close(r));
});

describe('https upstream', () => {
  it('verifies the cluster with the custom CA and presents the client certificate', async () => {
    const server = await startProxy([url], { upstream: { tls: { ca: f('ca.pem'), cert: f('client.pem'), key: f('client.key') } } });
    try {
      const r = await fetch(`${server.url}/_cluster/health?x=1`);
      expect(r.status).toBe(200);
      expect(await r.json()).toEqual({ path: '/_cluster/health?x=1', client: 'vlrerank-proxy' });
    } finally {
      await server.close();
    }
  });

  it('answers 502 when the cluster wants a client certificate and none is configured', async () => {
    const server = await startProxy([url], { upstream: { tls: { ca: f('ca.pem') } } });
    try {
      const r = await fetch(`${server.url}/_cluster/health`, { signal: AbortSignal.timeout(10_000) });
      expect(r.status).toBe(502);
      expect(await r.json()).toMatchObject({ error: { type: 'upstream_unreachable_exception' }, status: 502 });
    } finally {
      await server.close();
    }
  });

  it('answers 502 naming the certificate problem when the CA is unknown', async () => {
    const server = await startProxy([url], { upstream: { tls: { cert: f('client.pem'), key: f('client.key') } } });
    try {
      const r = await fetch(`${server.url}/_cluster/health`, { signal: AbortSignal.timeout(10_000) });
      expect(r.status).toBe(502);
      const body = (await r.json()) as { error: { type: string; reason: string } };
      expect(body.error.type).toBe('upstream_unreachable_exception');
      expect(body.error.reason).toMatch(/certificate/i);
    } finally {
      await server.close();
    }
  });

  it('refuses to start when a configured PEM file cannot be read', async () => {
    await expect(startProxy([url], { upstream: { tls: { ca: f('no-such-ca.pem') } } })).rejects.toThrow(/upstream\.tls\.ca: cannot read .*no-such-ca\.pem/);
  });
});
