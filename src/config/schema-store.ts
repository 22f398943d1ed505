/**
 * The `cache` and `store` sections: the in-memory feature cache's bound, the disk tier (L2) and the
 * Redis tier (L3).
 *
 * One of the sections of the one configuration schema (schema.ts, which assembles and re-exports them; import
 * from there). The doc comment above each key is its description in README.md's generated
 * configuration reference (scripts/config-reference.ts).
 */
import { z } from 'zod';
import { positiveInt } from './schema-parts.js';

export const cacheSchema = z.strictObject({
  /** Byte bound of the in-memory feature cache. Unset: 256 MiB, or under a cgroup memory limit min(256 MiB, max(16 MiB, (limit − 768 MiB) / 2)) so that the models and the cache fit (cache-budget.ts); a setting that cannot fit is warned at start. */
  maxBytes: positiveInt.optional(),
});

/**
 * Redis URL: redis:// or rediss:// (TLS), its path a database number or nothing. ioredis sends
 * `SELECT NaN` for `/abc` and nothing awaits it: the process ended at start (held-out probe round 9).
 */
const redisUrl = z
  .string()
  .url()
  .refine((u) => /^rediss?:\/\//.test(u), 'must be a redis:// or rediss:// URL')
  .refine((u) => /^\/?(\d{1,5})?$/.test(new URL(u).pathname), 'the path must be a database number (redis://host:6379/0) or nothing');

/** host:port of a sentinel ([::1]:26379 for IPv6). */
const hostPort = z.string().regex(/^(\[[0-9a-fA-F:.]+\]|[^\s:\[\]/]+):\d{1,5}$/, 'must be host:port (e.g. 10.0.0.5:26379)');

export const storeSchema = z.strictObject({
  disk: z
    .strictObject({
      /**
       * Folder of the persistent feature store (L2, LMDB), shared by the processes of one host.
       * Unset: no disk tier, except under `vlrerank serve` and `npm start`, which use
       * `<rerank.cacheDir>/features`; `off` turns it off there too.
       */
      path: z.string().min(1).optional(),
      /** Byte budget of the disk tier, its file included (kept within 1.25× of it); past it the least recently used entries are evicted in batches. */
      maxBytes: positiveInt.default(2 * 1024 * 1024 * 1024),
    })
    .default({ maxBytes: 2 * 1024 * 1024 * 1024 }),
  redis: z
    .strictObject({
      /** Redis shared by replicas (L3), e.g. redis://127.0.0.1:6379/0. Unset: no Redis tier. */
      url: redisUrl.optional(),
      /** Time to live of every stored feature (lets a `maxmemory` policy evict them; stale media ages out). */
      ttlSeconds: positiveInt.default(7 * 24 * 3600),
      /** Values larger than this are not written to Redis (a long video's frames stay in L1/L2). */
      maxValueBytes: positiveInt.default(2 * 1024 * 1024),
      /** How long one replica holds the lock on a media it computes; the others wait at most this long for its value, then compute anyway. */
      lockMs: positiveInt.default(5_000),
      /** Time-out of one Redis command: Redis slow or down costs a request at most about this. */
      commandTimeoutMs: positiveInt.default(50),
      /**
       * Prefix of every key vlrerank writes (`<prefix>f:` values, `<prefix>l:` locks). Deployments
       * with other models never read each other's values (keys name the models); give each its own
       * prefix to tell them apart in Redis, or to fit an ACL user's key pattern (`~vlr:*`).
       */
      keyPrefix: z.string().default('vlrerank:'),
      /**
       * Redis Sentinel: the sentinels as host:port; the URL's host is then the name of the monitored
       * primary (redis://:password@mymaster/0), the URL's user, password, database and TLS apply to
       * the primary found. Empty: the URL is the server itself.
       */
      sentinels: z.array(hostPort).default([]),
      /** Password of the sentinels themselves (their `requirepass`, as Helm charts set by default), when they have one. */
      sentinelPassword: z.string().min(1).optional(),
      /** ACL user of the sentinels (with `sentinelPassword`), when they have one for clients. */
      sentinelUsername: z.string().min(1).optional(),
      /** The sentinels listen with TLS (their `tls-port`); the primary's TLS is the URL's (`rediss://`). */
      sentinelTls: z.boolean().default(false),
      /** PEM file of the CA that signed the Redis servers' (and TLS sentinels') certificates, for a private CA (else the system's CAs and NODE_EXTRA_CA_CERTS). */
      ca: z.string().min(1).optional(),
      /** Redis Cluster: the URL is one node of the cluster (its others are learnt from it); database 0 only. */
      cluster: z.boolean().default(false),
    })
    .default({ ttlSeconds: 7 * 24 * 3600, maxValueBytes: 2 * 1024 * 1024, lockMs: 5_000, commandTimeoutMs: 50, keyPrefix: 'vlrerank:', sentinels: [], sentinelTls: false, cluster: false })
    .refine((r) => !(r.cluster && r.sentinels.length > 0), { message: 'sentinels and cluster are exclusive: a Redis Cluster fails over by itself', path: ['cluster'] })
    .refine((r) => !(r.sentinelPassword && r.sentinels.length === 0), { message: 'sentinelPassword without sentinels: the URL carries the server\'s own password', path: ['sentinelPassword'] })
    .refine((r) => !(r.sentinelUsername && !r.sentinelPassword), { message: 'sentinelUsername without sentinelPassword: an ACL user logs in with its password', path: ['sentinelUsername'] })
    .refine((r) => !(r.sentinelTls && r.sentinels.length === 0), { message: 'sentinelTls without sentinels: a server\'s own TLS is the URL\'s (rediss://)', path: ['sentinelTls'] })
    .refine((r) => !(r.cluster && r.url && !/^\/?0?$/.test(new URL(r.url).pathname)), { message: 'a Redis Cluster has database 0 only: leave the URL without a path', path: ['url'] }),
});
