/**
 * Real engines for integration tests: `await useEngine('elasticsearch')` → base URL of a healthy
 * single-node engine on 127.0.0.1, started on first use (so unit-only runs start nothing) or
 * reused when one already answers. Engines a test run starts are stopped by its global teardown
 * (test/helpers/global-setup.ts) once no other test run is using them.
 */
import { startEngine, engineUrl, type EngineName } from '../../scripts/engines.js';

export type { EngineName };

const started = new Map<EngineName, Promise<string>>();

export function useEngine(name: EngineName): Promise<string> {
  let p = started.get(name);
  if (!p) {
    p = startEngine(name, { auto: true }).then(() => engineUrl(name));
    p.catch(() => started.delete(name));
    started.set(name, p);
  }
  return p;
}
