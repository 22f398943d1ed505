/**
 * A private CA and a server certificate it signed for 127.0.0.1 (openssl, as an operator would make
 * them): an in-house object store's HTTPS. `caFile` is what NODE_EXTRA_CA_CERTS would name.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export function privateCaCert(): { key: Buffer; cert: Buffer; caFile: string } {
  const d = mkdtempSync(join(tmpdir(), 'vlr-private-ca-'));
  const run = (...args: string[]) => execFileSync('openssl', args, { cwd: d, stdio: 'ignore' });
  run('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '2', '-subj', '/CN=vlrerank test private CA');
  run('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'srv.key', '-out', 'srv.csr', '-subj', '/CN=127.0.0.1');
  writeFileSync(join(d, 'ext'), 'subjectAltName=IP:127.0.0.1\n');
  run('x509', '-req', '-in', 'srv.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'srv.pem', '-days', '2', '-extfile', 'ext');
  return { key: readFileSync(join(d, 'srv.key')), cert: readFileSync(join(d, 'srv.pem')), caFile: join(d, 'ca.pem') };
}
