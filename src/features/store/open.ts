/**
 * Open the persistent tiers of the feature store from `config.store`: the disk tier when a folder
 * is configured (config/store-defaults.ts says when that is), Redis when a URL is. Called once by
 * each composition root — the server's (server/services.ts), `index backfill`'s, and a standalone
 * Reranker's (rerank/backends/local.ts: `vlrerank rerank`, `eval --api`, a script's `store` option) —
 * which closes them after everything that uses them.
 * Never fails (but for an unreadable `store.redis.ca`, a configuration error): a tier that cannot
 * open is built `failed` and the server runs without it.
 */
import { readFileSync } from 'node:fs';
import type { Config } from '../../config/schema.js';
import { vlrError } from '../../errors.js';
import type { Logger } from '../../observability/logger.js';
import { DiskTier } from './disk-tier.js';
import { RedisTier } from './redis-tier.js';
import type { LowerTiers } from './tiered.js';
import type { TierHealth, TierHooks } from './tier.js';

export interface OpenTiers {
  tiers: LowerTiers;
  hooks: TierHooks;
  /** The persistent tiers' part of the health section (L1 is the extractor's). */
  health(): { disk: TierHealth | { state: 'off' }; redis: TierHealth | { state: 'off' } };
  close(): Promise<void>;
}

/** The PEM of `store.redis.ca`; a file that cannot be read is a configuration error, said at start. */
function readCa(path: string | undefined): Buffer | undefined {
  if (!path) return undefined;
  try {
    return readFileSync(path);
  } catch (e) {
    throw vlrError('VLR_CONFIG_INVALID', `store.redis.ca: cannot read ${path}: ${(e as Error).message}`);
  }
}

/** How `store.redis` is reached (undefined: no Redis tier): what the tier and the server's reload messages connect with. */
export function redisConnection(r: Config['store']['redis']) {
  if (!r.url) return undefined;
  return { url: r.url, commandTimeoutMs: r.commandTimeoutMs, keyPrefix: r.keyPrefix, sentinels: r.sentinels, sentinelPassword: r.sentinelPassword, sentinelUsername: r.sentinelUsername, sentinelTls: r.sentinelTls, ca: readCa(r.ca), cluster: r.cluster };
}

export async function openStoreTiers(store: Config['store'], diskPath: string | undefined, deps: { logger?: Logger; hooks?: TierHooks }): Promise<OpenTiers> {
  const hooks = deps.hooks ?? {};
  const disk = diskPath ? await DiskTier.open({ path: diskPath, maxBytes: store.disk.maxBytes, logger: deps.logger, hooks }) : undefined;
  if (disk?.usable) deps.logger?.info({ path: diskPath, maxBytes: store.disk.maxBytes }, 'disk feature store open');
  const r = store.redis;
  const conn = redisConnection(r);
  const redis = conn ? new RedisTier({ ...conn, ttlSeconds: r.ttlSeconds, maxValueBytes: r.maxValueBytes, lockMs: r.lockMs, logger: deps.logger, hooks }) : undefined;
  return {
    tiers: { disk, redis },
    hooks,
    health: () => ({ disk: disk ? { path: disk.path, ...disk.health() } : { state: 'off' }, redis: redis ? redis.health() : { state: 'off' } }),
    async close() {
      await redis?.close();
      await disk?.close();
    },
  };
}
