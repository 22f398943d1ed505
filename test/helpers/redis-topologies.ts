/**
 * Test helper: the Redis deployments production teams run, made of real `redis-server` processes
 * (Debian's; sentinels are the same binary with `--sentinel`): a primary with a replica watched by
 * three sentinels, and a Redis Cluster of three masters (`redis-cli --cluster create`). Each lives in
 * a temporary folder of its own (sentinels and cluster nodes rewrite their config files there).
 */
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort } from './ports.js';
import { startRedis, tempStoreDir, type RedisServer } from './store.js';
import { until } from './until.js';

/** A private CA made with openssl and a server certificate it signed for 127.0.0.1 and localhost. */
export interface RedisTlsFiles {
  ca: string;
  cert: string;
  key: string;
}

/** Make a private CA and a certificate for 127.0.0.1/localhost in `dir` (openssl, 2 days). */
export function privateCa(dir: string): RedisTlsFiles {
  const f = (n: string) => join(dir, n);
  const openssl = (...args: string[]) => execFileSync('openssl', args, { stdio: 'pipe' });
  openssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', f('ca.key'), '-out', f('ca.pem'), '-days', '2', '-subj', '/CN=vlrerank redis test CA');
  openssl('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', f('redis.key'), '-out', f('redis.csr'), '-subj', '/CN=localhost');
  writeFileSync(f('redis.ext'), 'subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth,clientAuth\n');
  openssl('x509', '-req', '-in', f('redis.csr'), '-CA', f('ca.pem'), '-CAkey', f('ca.key'), '-CAcreateserial', '-out', f('redis.pem'), '-days', '2', '-extfile', f('redis.ext'));
  return { ca: f('ca.pem'), cert: f('redis.pem'), key: f('redis.key') };
}

/** redis-server's options for a `tls-port` with `files` (clients need no certificate; replication over TLS). */
function tlsOptions(files: RedisTlsFiles): string[] {
  return ['--tls-cert-file', files.cert, '--tls-key-file', files.key, '--tls-ca-cert-file', files.ca, '--tls-auth-clients', 'no', '--tls-replication', 'yes'];
}

export interface SentinelSet {
  /** Name the sentinels monitor the primary under. */
  name: string;
  /** host:port of each sentinel. */
  sentinels: string[];
  /** With `tls`: host:port of each sentinel's `tls-port` (the plain ones stay, for the test's own assertions). */
  tlsSentinels: string[];
  primary: RedisServer;
  replica: RedisServer;
  /** The address the sentinels give for the primary now. */
  primaryPort(): Promise<number>;
  stop(): Promise<void>;
}

/**
 * A primary, its replica and three sentinels (quorum 2, down after 1 s). `sentinelPassword`: the
 * sentinels then ask it of every client (their default user's password, as Helm charts set it) and
 * give it to each other.
 */
export async function startSentinelSet(name = 'mymaster', sentinelPassword?: string, options: { tls?: RedisTlsFiles } = {}): Promise<SentinelSet> {
  const dir = tempStoreDir('sentinel');
  // with TLS every server has a tls-port beside its plain one: the sentinels monitor the primary's
  // tls-port (so that is the address they give), the replica replicates over TLS
  const tls = async () => (options.tls ? { port: await freePort(), args: tlsOptions(options.tls) } : undefined);
  const pTls = await tls();
  const rTls = await tls();
  const withTls = (t: { port: number; args: string[] } | undefined) => (t ? ['--tls-port', String(t.port), ...t.args] : []);
  // (a replica's full sync writes dump.rdb: into the folder, not the working directory)
  const primary = await startRedis(undefined, ['--dir', dir.path, '--dbfilename', 'primary.rdb', ...withTls(pTls)]);
  const primaryAddress = pTls?.port ?? primary.port;
  const replica = await startRedis(undefined, ['--replicaof', '127.0.0.1', String(primaryAddress), '--dir', dir.path, '--dbfilename', 'replica.rdb', ...withTls(rTls)]);
  const sentinels: RedisServer[] = [];
  const tlsSentinels: string[] = [];
  for (let i = 0; i < 3; i++) {
    const conf = join(dir.path, `sentinel-${i}.conf`);
    const sTls = await tls();
    // a TLS sentinel tells the others (and clients, `SENTINEL SENTINELS`) its tls-port, as a TLS-only one would
    const announce = sTls ? [`sentinel announce-port ${sTls.port}`] : [];
    writeFileSync(conf, [`sentinel monitor ${name} 127.0.0.1 ${primaryAddress} 2`, `sentinel down-after-milliseconds ${name} 1000`, `sentinel failover-timeout ${name} 5000`, ...announce, `dir ${dir.path}`, ''].join('\n'));
    sentinels.push(await startRedis(undefined, ['--sentinel', ...withTls(sTls)], [conf]));
    if (sTls) tlsSentinels.push(`127.0.0.1:${sTls.port}`);
  }
  const admin = sentinels[0]!.client();
  // the replica has synced, and every sentinel knows of it and of the two others: a failover needs
  // its leader to know a replica to promote and a majority of sentinels that know each other to
  // elect it — else the attempt is abandoned and retried only after twice the failover-timeout
  // (asking the first sentinel alone left the others to learn it from the primary's INFO, every 10 s)
  await until(async () => ((await replica.client().call('ROLE')) as unknown[])[3] === 'connected', { tries: 600, everyMs: 50, what: 'the replica synced' });
  for (const [i, s] of sentinels.entries()) {
    const c = s.client();
    await until(async () => ((await c.call('SENTINEL', 'REPLICAS', name)) as unknown[]).length === 1 && ((await c.call('SENTINEL', 'SENTINELS', name)) as unknown[]).length === sentinels.length - 1, { tries: 600, everyMs: 50, what: `sentinel ${i + 1} sees the replica and the other sentinels` });
  }
  if (sentinelPassword) {
    // connections already open (the helper's own) stay authenticated
    for (const s of sentinels) {
      const c = s.client();
      await c.call('SENTINEL', 'CONFIG', 'SET', 'sentinel-pass', sentinelPassword);
      await c.call('ACL', 'SETUSER', 'default', 'resetpass', `>${sentinelPassword}`);
    }
  }
  return {
    name,
    sentinels: sentinels.map((s) => `127.0.0.1:${s.port}`),
    tlsSentinels,
    primary,
    replica,
    async primaryPort() {
      const [, port] = (await admin.call('SENTINEL', 'GET-MASTER-ADDR-BY-NAME', name)) as string[];
      return Number(port);
    },
    async stop() {
      for (const s of [...sentinels, replica, primary]) await s.stop();
      dir.cleanup();
    },
  };
}

export interface RedisCluster {
  nodes: RedisServer[];
  stop(): Promise<void>;
}

/** Three cluster masters, no replicas, all 16384 slots assigned; resolves once `cluster_state:ok`. */
export async function startRedisCluster(): Promise<RedisCluster> {
  const dir = tempStoreDir('cluster');
  const nodes: RedisServer[] = [];
  // each node's cluster bus on a port of its own: by default it is the node's port + 10,000, which
  // nobody checked was free (another node's or server's port there, and the node does not start)
  for (let i = 0; i < 3; i++) nodes.push(await startRedis(undefined, ['--cluster-enabled', 'yes', '--cluster-port', String(await freePort()), '--cluster-config-file', join(dir.path, `nodes-${i}.conf`), '--cluster-node-timeout', '2000', '--dir', dir.path]));
  execFileSync('redis-cli', ['--cluster', 'create', ...nodes.map((n) => `127.0.0.1:${n.port}`), '--cluster-replicas', '0', '--cluster-yes'], { stdio: 'ignore' });
  for (const n of nodes) {
    const c = n.client();
    await until(async () => String(await c.call('CLUSTER', 'INFO')).includes('cluster_state:ok'), { tries: 600, everyMs: 50, what: 'cluster_state:ok' });
  }
  return {
    nodes,
    async stop() {
      for (const n of nodes) await n.stop();
      dir.cleanup();
    },
  };
}
