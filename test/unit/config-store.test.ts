// The feature store's settings: no disk tier unless configured (the library and the tests never
// share a folder), `serve`'s default folder under rerank.cacheDir, `off`, and a bad Redis URL named.
import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { loadConfig, parseConfig } from '../../src/config/load.js';
import { diskStorePath, withServeStoreDefaults } from '../../src/config/store-defaults.js';

describe('store config', () => {
  it('has no disk tier and no Redis unless configured', () => {
    const c = loadConfig({ env: {} });
    expect(diskStorePath(c)).toBeUndefined();
    expect(c.store.redis.url).toBeUndefined();
  });

  it('serve defaults the disk tier to <rerank.cacheDir>/features; a configured path or `off` wins', () => {
    expect(diskStorePath(withServeStoreDefaults(loadConfig({ env: {} })))).toBe(join('.cache/vlrerank', 'features'));
    expect(diskStorePath(withServeStoreDefaults(loadConfig({ env: { VLRERANK_STORE_DISK_PATH: '/srv/f' } })))).toBe('/srv/f');
    expect(diskStorePath(withServeStoreDefaults(loadConfig({ env: { VLRERANK_STORE_DISK_PATH: 'off' } })))).toBeUndefined();
    expect(Object.isFrozen(withServeStoreDefaults(loadConfig({ env: {} })).store.disk)).toBe(true);
  });

  it('names the key of a bad Redis URL or budget', () => {
    expect(() => loadConfig({ env: { VLRERANK_REDIS_URL: 'http://x' } })).toThrow(/store\.redis\.url: must be a redis:\/\/ or rediss:\/\/ URL/);
    expect(() => loadConfig({ env: { VLRERANK_STORE_DISK_MAX_BYTES: '-1' } })).toThrow(/store\.disk\.maxBytes/);
    expect(loadConfig({ env: { VLRERANK_REDIS_URL: 'redis://127.0.0.1:6379/0' } }).store.redis).toMatchObject({ url: 'redis://127.0.0.1:6379/0', lockMs: 5000, commandTimeoutMs: 50 });
  });

  // held-out probe round 9: ioredis sent `SELECT NaN` for a database path that is no number, nothing
  // awaited it, and `vlrerank serve` ended at start with an unhandled rejection
  it('refuses a Redis URL whose path is no database number, without echoing its password', () => {
    for (const url of ['redis://:pw-Sup3r@127.0.0.1:6379/abc', 'redis://:pw-Sup3r@127.0.0.1:6379/0/1', 'rediss://u:pw-Sup3r@127.0.0.1:6379/-1']) {
      let message = '';
      try {
        loadConfig({ env: { VLRERANK_REDIS_URL: url } });
      } catch (e) {
        message = (e as Error).message;
      }
      expect(message, url).toMatch(/store\.redis\.url: the path must be a database number/);
      expect(message).not.toContain('pw-Sup3r');
    }
    for (const url of ['redis://127.0.0.1:6379', 'redis://127.0.0.1:6379/', 'redis://:pw@127.0.0.1:6379/15']) expect(loadConfig({ env: { VLRERANK_REDIS_URL: url } }).store.redis.url).toBe(url);
  });

  // held-out probe round 15a: the Redis production teams run — Sentinel and Cluster
  it('takes sentinels (host:port) or a cluster, never both, and a cluster only on database 0', () => {
    const store = (redis: Record<string, unknown>) => parseConfig({ store: { redis } }).store.redis;
    expect(store({ url: 'redis://:pw@mymaster/0', sentinels: ['10.0.0.5:26379', 'sentinel-b:26379', '[::1]:26379'] })).toMatchObject({ sentinels: ['10.0.0.5:26379', 'sentinel-b:26379', '[::1]:26379'], cluster: false });
    expect(store({ url: 'redis://10.0.0.7:6379', cluster: true })).toMatchObject({ sentinels: [], cluster: true });
    expect(() => store({ url: 'redis://mymaster', sentinels: ['10.0.0.5'] })).toThrow(/store\.redis\.sentinels\[0\]: must be host:port/);
    expect(() => store({ url: 'redis://mymaster', sentinels: ['10.0.0.5:26379'], cluster: true })).toThrow(/store\.redis\.cluster: sentinels and cluster are exclusive/);
    expect(() => store({ url: 'redis://10.0.0.7:6379/3', cluster: true })).toThrow(/store\.redis\.url: a Redis Cluster has database 0 only/);
    // a pod configured by its environment alone
    expect(loadConfig({ env: { VLRERANK_REDIS_URL: 'redis://mymaster', VLRERANK_REDIS_SENTINELS: '10.0.0.5:26379, 10.0.0.6:26379', VLRERANK_REDIS_KEY_PREFIX: 'vlr:' } }).store.redis).toMatchObject({ sentinels: ['10.0.0.5:26379', '10.0.0.6:26379'], keyPrefix: 'vlr:', cluster: false });
    expect(loadConfig({ env: { VLRERANK_REDIS_URL: 'redis://10.0.0.7:6379', VLRERANK_REDIS_CLUSTER: 'true' } }).store.redis.cluster).toBe(true);
    expect(store({ url: 'redis://mymaster', sentinels: ['10.0.0.5:26379'], sentinelPassword: 's3nt' }).sentinelPassword).toBe('s3nt');
    expect(() => store({ url: 'redis://10.0.0.7:6379', sentinelPassword: 's3nt' })).toThrow(/store\.redis\.sentinelPassword: sentinelPassword without sentinels/);
  });
});
