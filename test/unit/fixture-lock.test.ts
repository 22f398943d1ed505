import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { fixtureLockDir, withFixtureLock } from '../helpers/fixture-lock.js';

const name = `unit-${process.pid}`;
const dir = fixtureLockDir(name);

/** The pid of a process that has exited (a test run killed while it held the lock). */
function deadPid(): number {
  const r = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  return Number(r.stdout);
}

describe('fixture lock', () => {
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('takes over a lock whose holder has exited, without waiting for the stale age', async () => {
    mkdirSync(dir);
    writeFileSync(join(dir, 'pid'), String(deadPid()));
    // A stale age of a day: only the dead holder's pid can let this run.
    const got = await withFixtureLock(name, async () => 'built', 24 * 3600_000);
    expect(got).toBe('built');
    expect(existsSync(dir)).toBe(false);
  });

  it('waits while the holder is alive, then runs once it releases', async () => {
    mkdirSync(dir);
    writeFileSync(join(dir, 'pid'), String(process.pid));
    let ran = false;
    const waiting = withFixtureLock(name, async () => {
      ran = true;
    });
    await new Promise((r) => setTimeout(r, 600));
    expect(ran).toBe(false);
    rmSync(dir, { recursive: true, force: true });
    await waiting;
    expect(ran).toBe(true);
  });

  it('holds its own pid while running', async () => {
    await withFixtureLock(name, async () => {
      expect(existsSync(join(dir, 'pid'))).toBe(true);
    });
  });
});
