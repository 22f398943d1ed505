/**
 * Vitest global setup: the run takes a lease on the shared engines; at teardown it stops the
 * engines that a test run started (marked "auto" by useEngine), unless another test run still
 * holds a lease (its tests may be using them) or VLRERANK_KEEP_ENGINES=1. Engines started by hand
 * (`tsx scripts/engines.ts start`) are never stopped here.
 */
import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ENGINE_NAMES, STATE_DIR, alive, stopEngine } from '../../scripts/engines.js';

const LEASES = join(STATE_DIR, 'leases');

export function setup(): () => Promise<void> {
  mkdirSync(LEASES, { recursive: true });
  const lease = join(LEASES, String(process.pid));
  writeFileSync(lease, new Date().toISOString());
  return async () => {
    rmSync(lease, { force: true });
    if (/^(1|true|yes)$/i.test(process.env.VLRERANK_KEEP_ENGINES ?? '')) return;
    const others = readdirSync(LEASES).filter((f) => {
      const pid = Number(f);
      if (pid > 0 && alive(pid)) return true;
      rmSync(join(LEASES, f), { force: true }); // a run that died without teardown
      return false;
    });
    if (others.length > 0) return;
    for (const name of ENGINE_NAMES) {
      if (existsSync(join(STATE_DIR, `${name}.auto`))) await stopEngine(name);
    }
  };
}
