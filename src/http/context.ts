/**
 * What the HTTP layer hands to each area it mounts: the frozen configuration, the logger, the
 * metrics registry, and the long-lived services (upstream pool, reranker, pipelines). Built once
 * in server.ts; areas receive it, never build their own.
 */
import type { Config } from '../config/schema.js';
import type { Logger } from '../observability/logger.js';
import type { Metrics } from '../observability/metrics.js';

export interface ServerContext {
  config: Config;
  logger: Logger;
  /** Where access lines go (http/access-log.ts): the buffered access logger, or `logger` when a caller gave its own. */
  accessLogger?: Logger;
  metrics: Metrics;
  /** Long-lived services, registered by the areas at start-up (proxy pool, reranker, pipelines…). */
  services: Record<string, unknown>;
  /** Called on shutdown, in reverse order of registration. */
  onClose: Array<() => Promise<void> | void>;
}
