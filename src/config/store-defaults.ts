/**
 * Where the persistent feature store lives when nobody said: `vlrerank serve` and `npm start` keep
 * features on disk by default (`<rerank.cacheDir>/features`), so a restart does not pay the models
 * again; the library, the tests and every other command have no disk tier unless a path is
 * configured, so parallel test servers never share a folder by accident. `off` turns it off.
 * Never touches the disk itself.
 */
import { join } from 'node:path';
import { parseConfig } from './load.js';
import type { Config } from './schema.js';

/** The disk tier's folder, or undefined when there is none. */
export function diskStorePath(config: Pick<Config, 'store'>): string | undefined {
  const p = config.store.disk.path;
  return p && p !== 'off' ? p : undefined;
}

/** `config` with the serving default of the disk tier's folder filled in when unset. */
export function withServeStoreDefaults(config: Config): Config {
  if (config.store.disk.path !== undefined) return config;
  const copy = JSON.parse(JSON.stringify(config)) as Record<string, Record<string, Record<string, unknown>>>;
  copy.store!.disk!.path = join(config.rerank.cacheDir, 'features');
  return parseConfig(copy, 'serve defaults');
}
