// The disk tier's folder deleted (`rm -rf`) or its file replaced while a process has it open: the
// process opens the path again, so it and the processes started after it share one store. Before,
// LMDB kept the deleted file mapped: the open process went on with a store no one else could see,
// a process started after made a new file at the path, neither read the other's records and both
// said `ok` (held-out probe round 24c, three `vlrerank serve` on one folder). Real lmdb, a real
// second process.
import { execFile } from 'node:child_process';
import { existsSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, expect, it } from 'vitest';
import { DiskTier } from '../../../src/features/store/disk-tier.js';
import { REPO_ROOT } from '../../helpers/paths.js';
import { tempStoreDir } from '../../helpers/store.js';

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function openHere(path: string): Promise<DiskTier> {
  const t = await DiskTier.open({ path, maxBytes: 1 << 20, fileCheckMs: 0 });
  cleanups.push(() => t.close());
  return t;
}

/** Another process writes `key` into the store at `path` and says what it reads of `read`. */
async function otherProcess(path: string, key: string, read: string): Promise<{ read: number; state: string }> {
  const script = `
    import { DiskTier } from './src/features/store/disk-tier.ts';
    const t = await DiskTier.open({ path: process.argv[1], maxBytes: 1 << 20 });
    t.set(process.argv[2], new Uint8Array(300).fill(3));
    await t.flushed();
    process.stdout.write(JSON.stringify({ read: t.get(process.argv[3])?.length ?? 0, state: t.state }));
    await t.close();`;
  const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script, path, key, read], { cwd: REPO_ROOT });
  return JSON.parse(stdout);
}

/** Ask until the tier answers `key` (a reopen runs in the background): the value's length, or 0 after `tries`. */
async function eventually(t: DiskTier, key: string, tries = 200): Promise<number> {
  for (let i = 0; i < tries; i++) {
    const v = t.get(key);
    if (v) return v.length;
    await new Promise((r) => setTimeout(r, 50));
  }
  return 0;
}

it.each([
  ['the folder deleted (rm -rf)', (path: string) => rmSync(path, { recursive: true, force: true })],
  ['the file moved away (mv)', (path: string) => renameSync(join(path, 'features.mdb'), join(path, 'old.mdb'))],
])('%s under an open store: reopened at the path, shared with a process started after', { timeout: 60_000 }, async (_name, remove) => {
  const d = tempStoreDir('replaced');
  cleanups.push(d.cleanup);
  const here = await openHere(d.path);
  here.set('before', new Uint8Array(100).fill(1));
  await here.flushed();

  remove(d.path);
  here.get('before'); // a lookup notices (a stat at most every fileCheckMs) and the tier opens the path again
  await here.flushed(); // …which has ended here
  here.set('mine', new Uint8Array(200).fill(2));
  await here.flushed();

  // a process started now opens the store at the path: it reads what this one wrote since, and this one reads its write
  expect(await otherProcess(d.path, 'theirs', 'mine')).toEqual({ read: 200, state: 'ok' });
  expect(await eventually(here, 'theirs')).toBe(300);
  expect(existsSync(join(d.path, 'features.mdb'))).toBe(true);
  expect(here.health()).toMatchObject({ state: 'ok', entries: 2 });
  expect(here.health().last_error?.reason).toMatch(/deleted or replaced while open/);
});
