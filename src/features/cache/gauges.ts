/**
 * Scrape-time Prometheus gauges of a feature cache's size: `vlrerank_feature_cache_bytes`,
 * `_entries` and `_max_bytes`, read when the registry is scraped (the UI shows them). The first
 * cache registered on a registry wins; a second one would clash, so it is skipped.
 * Never changes the cache.
 */
import { Gauge, type Registry } from 'prom-client';
import type { CacheStats } from './feature-cache.js';

export function registerCacheGauges(registry: Registry, cache: { readonly maxBytes: number; stats(): CacheStats }): void {
  const gauges: Array<[string, string, () => number]> = [
    ['vlrerank_feature_cache_bytes', 'Bytes held by the feature cache', () => cache.stats().bytes],
    ['vlrerank_feature_cache_entries', 'Entries in the feature cache', () => cache.stats().entries],
    ['vlrerank_feature_cache_max_bytes', 'Byte bound of the feature cache', () => cache.maxBytes],
  ];
  for (const [name, help, read] of gauges) {
    if (registry.getSingleMetric(name)) continue;
    new Gauge({ name, help, registers: [registry], collect() { this.set(read()); } });
  }
}
