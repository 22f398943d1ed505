// Redis Sentinel with TLS and an ACL user (fix17, a 15a leftover), on real redis-server processes:
// a primary, a replica and three sentinels, each with a `tls-port` whose certificate a private CA made
// with openssl signed; the sentinels monitor the primary's tls-port, so the address they give is
// TLS-only. Before: the sentinels could only be asked in clear and as their default user, and a
// `rediss://` URL with sentinels still opened a plain connection to the primary they named (ioredis
// needs `enableTLSForSentinelMode` for that) — the tier never connected.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { RedisTier, type RedisTierOptions } from '../../../src/features/store/redis-tier.js';
import { openStoreTiers } from '../../../src/features/store/open.js';
import { loadConfig } from '../../../src/config/load.js';
import { privateCa, startSentinelSet, type SentinelSet } from '../../helpers/redis-topologies.js';
import { tempStoreDir } from '../../helpers/store.js';
import { until } from '../../helpers/until.js';

const certs = tempStoreDir('sentinel-tls-ca');
let set: SentinelSet;
let caFile: string;
const tiers: RedisTier[] = [];
beforeAll(async () => {
  caFile = privateCa(certs.path).ca;
  set = await startSentinelSet('tls-primary', 'sentinel-Admin', { tls: privateCa(certs.path) });
  // an ACL user for vlrerank on every sentinel, with only what a Sentinel client sends; the default
  // user has a password vlrerank is not given
  for (const s of set.sentinels) {
    const [host, port] = s.split(':');
    const c = new (await import('ioredis')).Redis({ host, port: Number(port), password: 'sentinel-Admin', maxRetriesPerRequest: 1 });
    await c.call('ACL', 'SETUSER', 'vlr-sentinel', 'on', '>vlr-Sentinel-pw', '-@all', '+sentinel|get-master-addr-by-name', '+sentinel|sentinels', '+subscribe', '+ping', '+client|setname', '&+switch-master');
    c.on('error', () => undefined);
    c.disconnect();
  }
}, 60_000);
afterAll(async () => {
  for (const t of tiers) await t.close();
  await set?.stop();
  certs.cleanup();
});

function tier(o: Partial<RedisTierOptions>): RedisTier {
  const t = new RedisTier({ url: 'rediss://tls-primary/0', ttlSeconds: 60, maxValueBytes: 1_000, lockMs: 2_000, commandTimeoutMs: 500, keyPrefix: 'sentinel-tls:', ...o });
  tiers.push(t);
  return t;
}

describe('Redis Sentinel with TLS and an ACL user', () => {
  it('sentinels on their tls-port as an ACL user, the primary over TLS: connects, and writes land on the primary', async () => {
    const t = tier({ sentinels: set.tlsSentinels, sentinelTls: true, sentinelUsername: 'vlr-sentinel', sentinelPassword: 'vlr-Sentinel-pw', ca: readFileSync(caFile) });
    await until(() => t.state === 'ok', { tries: 1200, everyMs: 25, what: `connected through TLS sentinels (${t.health().reason})` });
    t.set('k', new Uint8Array([7]));
    const primary = set.primary.client(); // the primary's plain port, for the assertion only
    await until(async () => (await primary.exists('sentinel-tls:f:k')) === 1, { tries: 1200, everyMs: 25, what: 'the write on the primary' });
    expect([...(await t.get('k'))!]).toEqual([7]);
    expect(JSON.stringify(t.health())).not.toContain('vlr-Sentinel-pw');
  });

  // (ioredis's failover detector also dials the sentinels' announced tls-ports in clear here: the
  // "write ECONNRESET" lines on stderr; a deployment's sentinels are all TLS or all plain)
  it('plain sentinels naming a TLS-only primary: a rediss:// URL makes the primary connection TLS', async () => {
    const t = tier({ sentinels: set.sentinels, sentinelPassword: 'sentinel-Admin', ca: readFileSync(caFile) });
    await until(() => t.state === 'ok', { tries: 1200, everyMs: 25, what: `connected to the TLS primary (${t.health().reason})` });
    t.set('k2', new Uint8Array([8]));
    await until(async () => (await set.primary.client().exists('sentinel-tls:f:k2')) === 1, { tries: 1200, everyMs: 25, what: 'the write on the primary' });
  });

  it('TLS sentinels asked in clear, or the CA not given: down, with the cause in health', async () => {
    const clear = tier({ sentinels: set.tlsSentinels, sentinelUsername: 'vlr-sentinel', sentinelPassword: 'vlr-Sentinel-pw', ca: readFileSync(caFile) });
    const untrusted = tier({ sentinels: set.tlsSentinels, sentinelTls: true, sentinelUsername: 'vlr-sentinel', sentinelPassword: 'vlr-Sentinel-pw' });
    const said = (t: RedisTier) => t.state === 'down' && !/^connecting/.test(t.health().reason ?? 'connecting');
    await until(() => said(clear) && said(untrusted), { tries: 1200, everyMs: 25, what: 'both down, saying why' });
    expect(clear.health().reason).toMatch(/asked in clear: TLS sentinels need store\.redis\.sentinelTls/);
    expect(untrusted.health().reason).toMatch(/asked over TLS: is their certificate signed by store\.redis\.ca\?/);
  });

  it('is configured by store.redis.sentinelTls / sentinelUsername / ca and their environment variables', async () => {
    const config = loadConfig({ env: { VLRERANK_REDIS_URL: 'rediss://tls-primary/0', VLRERANK_REDIS_SENTINELS: set.tlsSentinels.join(','), VLRERANK_REDIS_SENTINEL_TLS: 'true', VLRERANK_REDIS_SENTINEL_USERNAME: 'vlr-sentinel', VLRERANK_REDIS_SENTINEL_PASSWORD: 'vlr-Sentinel-pw', VLRERANK_REDIS_CA: caFile } });
    expect(config.store.redis).toMatchObject({ sentinelTls: true, sentinelUsername: 'vlr-sentinel', ca: caFile });
    const opened = await openStoreTiers({ ...config.store, redis: { ...config.store.redis, keyPrefix: 'sentinel-tls-env:' } }, undefined, {});
    try {
      await until(() => opened.health().redis.state === 'ok', { tries: 1200, everyMs: 25, what: 'the configured tier connected' });
    } finally {
      await opened.close();
    }
    expect(() => loadConfig({ env: { VLRERANK_REDIS_URL: 'rediss://10.0.0.7:6379', VLRERANK_REDIS_SENTINEL_TLS: 'true' } })).toThrow(/sentinelTls without sentinels/);
    await expect(openStoreTiers({ ...config.store, redis: { ...config.store.redis, ca: '/nonexistent/ca.pem' } }, undefined, {})).rejects.toThrow(/store\.redis\.ca: cannot read \/nonexistent\/ca\.pem/);
  });
});
