// L2, the disk tier (real lmdb in a temp folder): values survive a reopen, the byte budget evicts
// the oldest entries first, the file memo persists, and a corrupt file or an unusable folder leaves
// the tier `failed` — the process keeps running (lmdb itself would segfault on a corrupt file).
import { afterEach, describe, expect, it, vi } from 'vitest';
import { execFile, execFileSync } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { open as openLmdb } from 'lmdb';
import { REPO_ROOT } from '../../helpers/paths.js';
import { DiskTier } from '../../../src/features/store/disk-tier.js';
import { tempStoreDir } from '../../helpers/store.js';

const dirs: Array<{ cleanup(): void }> = [];
const tiers: DiskTier[] = [];
afterEach(async () => {
  for (const t of tiers.splice(0)) await t.close();
  for (const d of dirs.splice(0)) d.cleanup();
});
async function open(path: string, maxBytes = 1 << 20, hooks = {}) {
  const t = await DiskTier.open({ path, maxBytes, hooks });
  tiers.push(t);
  return t;
}
function dir() {
  const d = tempStoreDir('disk');
  dirs.push(d);
  return d.path;
}
const bytes = (n: number, fill: number) => new Uint8Array(n).fill(fill);

describe('disk tier', () => {
  it('keeps values across a close and a reopen, and counts hits and misses', async () => {
    const path = dir();
    const a = await open(path);
    expect(a.state).toBe('ok');
    a.set('k1', bytes(100, 1));
    a.memoSet('/data/photo.jpg', { size: 10, mtimeMs: 5, contentHash: 'abc' });
    await a.close();
    const b = await open(path);
    expect(Buffer.from(b.get('k1')!)).toEqual(Buffer.from(bytes(100, 1)));
    expect(b.get('absent')).toBeUndefined();
    expect(b.memoGet('/data/photo.jpg')).toEqual({ size: 10, mtimeMs: 5, contentHash: 'abc' });
    expect(b.health()).toMatchObject({ state: 'ok', hits: 1, misses: 1, entries: 1 });
  });

  // every request of a warm search stores its new query's vector: one write transaction (lmdb's
  // set-up, a statfs, the B-tree statistics) per write cost the answer's main thread ≈ 0.25 ms each
  // (bench:rerank --restart-only); writes close together share one transaction
  it('commits writes made close together in one transaction, answers a queued key from the queue, and a later write of a key wins', async () => {
    const path = dir();
    const t = await DiskTier.open({ path, maxBytes: 1 << 20, writeDelayMs: 60_000 });
    tiers.push(t);
    t.set('first', bytes(16, 1));
    await t.flushed();
    const env = openLmdb({ path: join(path, 'features.mdb'), noSubdir: true, maxDbs: 8, readOnly: true });
    const txnBefore = (env.getStats() as { lastTxnId: number }).lastTxnId;
    // spaced as requests are (lmdb itself joins transactions queued in one turn, not these)
    for (let i = 0; i < 50; i++) {
      t.set('k' + i, bytes(64, i));
      await new Promise((r) => setTimeout(r, 2));
    }
    t.set('k7', bytes(64, 99));
    expect(Buffer.from(t.get('k7')!)).toEqual(Buffer.from(bytes(64, 99))); // read before its commit
    expect(t.has('k49')).toBe(true);
    expect(t.health().writes).toBe(1); // nothing of the 51 committed yet (the delay is a minute)
    await t.flushed();
    expect((env.getStats() as { lastTxnId: number }).lastTxnId - txnBefore).toBe(1);
    expect(t.health()).toMatchObject({ writes: 51, entries: 51 });
    expect(Buffer.from(t.get('k7')!)).toEqual(Buffer.from(bytes(64, 99)));
    await env.close();
  });

  it('encodes a value given as a function on its write’s later turn, not in the caller’s; undefined from it writes nothing', async () => {
    const t = await open(dir());
    let encoded = 0;
    t.set('lazy', () => (encoded++, bytes(64, 7)));
    t.set('none', () => undefined);
    expect(encoded).toBe(0); // the caller (an answer in the making) did not pay for it
    await t.flushed();
    expect(encoded).toBe(1);
    expect(Buffer.from(t.get('lazy')!)).toEqual(Buffer.from(bytes(64, 7)));
    expect(t.has('none')).toBe(false);
    expect(t.health().writes).toBe(1);
  });

  it('evicts the oldest entries in one batch when the byte budget is passed', async () => {
    const t = await open(dir(), 40_000);
    for (let i = 0; i < 9; i++) {
      t.set(`k${i}`, bytes(4_000, i));
      await t.flushed();
    }
    expect(t.health().bytes).toBeLessThanOrEqual(40_000);
    expect(t.get('k0')).toBeDefined();
    t.set('k9', bytes(4_000, 9)); // 10 × 4 004 bytes > 40 000: evict down to 36 000, oldest first
    await t.flushed();
    expect(t.has('k0')).toBe(false);
    expect(t.has('k1')).toBe(false);
    expect(t.has('k2')).toBe(true);
    expect(t.health().bytes).toBeLessThanOrEqual(36_000);
    t.set('k10', bytes(4_000, 10)); // room again: no eviction
    await t.flushed();
    const h = t.health();
    expect(h.bytes).toBeLessThanOrEqual(40_000);
    expect(t.has('k10')).toBe(true);
    expect(t.has('k9')).toBe(true);
    expect(h.entries).toBe(9);
  });

  it('is shared by processes: a value written by another process is read here, and the byte count is one', async () => {
    const path = dir();
    const here = await open(path);
    here.set('mine', bytes(1_000, 1));
    await here.flushed();
    const script = `
      import { DiskTier } from './src/features/store/disk-tier.ts';
      const t = await DiskTier.open({ path: process.argv[1], maxBytes: 1 << 20 });
      t.set('theirs', new Uint8Array(500).fill(2));
      await t.flushed();
      process.stdout.write(JSON.stringify({ mine: t.get('mine')?.length ?? 0, state: t.state }));
      await t.close();`;
    const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script, path], { cwd: REPO_ROOT });
    expect(JSON.parse(stdout)).toEqual({ mine: 1_000, state: 'ok' });
    expect(Buffer.from(here.get('theirs')!)).toEqual(Buffer.from(bytes(500, 2)));
    expect(here.health()).toMatchObject({ entries: 2, bytes: 1_000 + 8 + 500 + 12 });
  });

  it('the access stamps of reads over many turns are refreshed in one pass: stale ones in one write transaction, none on the reads’ own turns', async () => {
    const path = dir();
    const t = await DiskTier.open({ path, maxBytes: 1 << 20, stampDelayMs: 60_000 });
    tiers.push(t);
    for (let i = 0; i < 50; i++) t.set(`k${i}`, bytes(10, i));
    await t.flushed();
    // the store's last committed transaction, read through a second handle on the file
    const env = openLmdb({ path: join(path, 'features.mdb'), noSubdir: true, maxDbs: 8 });
    const txnId = () => (env.getStats() as { lastTxnId: number }).lastTxnId;
    // the clock 11 minutes on, past the 10-minute stamp refresh: a restart on records written earlier
    const wall = Date.now.bind(Date);
    const later = vi.spyOn(Date, 'now').mockImplementation(() => wall() + 11 * 60_000);
    try {
      const before = txnId();
      // as a request reads them: each on a turn of its own
      for (let i = 0; i < 50; i++) {
        expect([...t.get(`k${i}`)!]).toEqual([...bytes(10, i)]);
        await new Promise((resolve) => setImmediate(resolve));
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(txnId()).toBe(before);
      await t.flushed();
      expect(txnId()).toBe(before + 1);
      // refreshed: read again, every stamp is recent — nothing written
      for (let i = 0; i < 50; i++) t.get(`k${i}`);
      await t.flushed();
      expect(txnId()).toBe(before + 1);
    } finally {
      later.mockRestore();
    }
  });

  it('does not keep a value larger than a quarter of the budget', async () => {
    const t = await open(dir(), 10_000);
    t.set('big', bytes(5_000, 1));
    await t.flushed();
    expect(t.has('big')).toBe(false);
    expect(t.health().skipped).toBe(1);
  });

  it('a corrupt file: the tier is failed, counted, and the process lives on', async () => {
    const path = dir();
    writeFileSync(join(path, 'features.mdb'), Buffer.alloc(20_000, 7));
    const errors: string[] = [];
    const t = await open(path, 1 << 20, { onError: (tier: string) => errors.push(tier) });
    expect(t.state).toBe('failed');
    expect(t.health().reason).toMatch(/corrupt|cannot be opened/);
    expect(errors).toEqual(['disk']);
    expect(t.get('k')).toBeUndefined();
    t.set('k', bytes(10, 1)); // a no-op, never a throw
    expect(t.has('k')).toBe(false);
  });

  it('a folder that cannot be created: failed, not thrown', async () => {
    const path = dir();
    writeFileSync(join(path, 'a-file'), 'x');
    const t = await open(join(path, 'a-file', 'store'));
    expect(t.state).toBe('failed');
    expect(t.usable).toBe(false);
  });

  // `ulimit -f` (systemd's LimitFSIZE=): lmdb's commits past it failed with EIO, each an unhandled
  // rejection, and its write lock then stayed taken — the server's main thread blocked for good
  // (held-out probe round 12b). A child process under a 200 KiB limit writes 400 values of 4 KiB.
  it('under a file size limit (ulimit -f): writes skipped, down with the reason, nothing unhandled, close ends', { timeout: 120_000 }, async () => {
    const path = dir();
    const script = `
      import { DiskTier } from './src/features/store/disk-tier.ts';
      let unhandled = 0;
      process.on('unhandledRejection', () => void unhandled++);
      const t = await DiskTier.open({ path: process.argv[1], maxBytes: 64 << 20 });
      for (let i = 0; i < 400; i++) {
        t.set('k' + i, new Uint8Array(4096).fill(i % 251));
        if (i % 20 === 19) await t.flushed();
      }
      await t.flushed();
      const h = t.health();
      await t.close();
      process.stdout.write(JSON.stringify({ state: h.state, reason: h.reason, writes: h.writes, unhandled, closed: true }));`;
    const out = await promisify(execFile)('bash', ['-c', 'ulimit -f 200 && exec "$0" --import tsx --input-type=module -e "$1" "$2"', process.execPath, script, path], { cwd: REPO_ROOT, timeout: 100_000 }).catch((e: { code?: unknown; signal?: unknown; stdout?: string }) => e);
    const result = JSON.parse((out as { stdout?: string }).stdout || '{}');
    expect(result).toMatchObject({ state: 'down', reason: expect.stringMatching(/file size limit \(ulimit -f: 204800 bytes\)/), unhandled: 0, closed: true });
  });

  // a commit that fails (ENOSPC in the free-space check's race: a real 4 MiB tmpfs that another
  // writer fills between a write's statfs and its commit; needs root, skipped otherwise): lmdb's
  // failed commits left unhandled rejections, a tier still written to (its write lock may stay taken
  // after a failed commit: the server hung, probe round 12b) and a close that never ended. A child
  // process, so that a hang is its timeout, not this worker's.
  it.runIf(canMount())('a commit failing with ENOSPC: failed with the cause, reads miss, nothing unhandled, close ends', { timeout: 120_000 }, async () => {
    const mnt = mkdtempSync(join(tmpdir(), 'vlr-full-'));
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=4m', 'tmpfs', mnt], { stdio: 'pipe' });
    try {
      const script = `
        import { DiskTier } from './src/features/store/disk-tier.ts';
        import { closeSync, openSync, writeSync } from 'node:fs';
        let unhandled = 0;
        process.on('unhandledRejection', () => void unhandled++);
        const t = await DiskTier.open({ path: process.argv[1] + '/l2', maxBytes: 64 << 20 });
        for (let i = 0; i < 5; i++) t.set('a' + i, new Uint8Array(4096).fill(i));
        await t.flushed();
        const before = t.health().state;
        t.set('big', new Uint8Array(128 << 10).fill(7));
        const written = t.flushed(); // the queued write has passed its statfs when this returns; its commit is next
        const fd = openSync(process.argv[1] + '/filler', 'w');
        for (const size of [65536, 4096]) try { for (;;) writeSync(fd, Buffer.alloc(size, 1)); } catch {}
        closeSync(fd);
        await written;
        for (let i = 0; i < 20; i++) t.set('b' + i, new Uint8Array(4096).fill(i));
        await t.flushed();
        const h = t.health();
        const read = t.get('a0');
        await t.close();
        process.stdout.write(JSON.stringify({ before, state: h.state, reason: h.reason, writes: h.writes, read: read === undefined ? 'miss' : 'hit', unhandled, closed: true }));`;
      const out = await promisify(execFile)(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script, mnt], { cwd: REPO_ROOT, timeout: 100_000 }).catch((e: { stdout?: string }) => e);
      const result = JSON.parse((out as { stdout?: string }).stdout || '{}');
      expect(result).toMatchObject({ before: 'ok', state: 'failed', reason: expect.stringMatching(/commit failed \(No space left on device/), writes: 5, read: 'miss', unhandled: 0, closed: true });
    } finally {
      execFileSync('umount', [mnt]);
      rmSync(mnt, { recursive: true, force: true });
    }
  });

  // a store made on a file system already full (a 1 MiB tmpfs filled; needs root): lmdb writes a new
  // file's first pages through its map, and on a full tmpfs that is a SIGBUS — `vlrerank serve`
  // died at start without a word (held-out probe round 31d) and left an empty file the next start
  // called corrupt. A child process, so that the signal is its death, not this worker's.
  it.runIf(canMount())('a new store on a full file system: failed naming the free space, no file left, the process lives', { timeout: 120_000 }, async () => {
    const mnt = mkdtempSync(join(tmpdir(), 'vlr-full0-'));
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', mnt], { stdio: 'pipe' });
    try {
      const fd = openSync(join(mnt, 'filler'), 'w');
      for (const size of [65536, 4096]) {
        try {
          for (;;) writeSync(fd, Buffer.alloc(size, 1));
        } catch {
          /* full */
        }
      }
      closeSync(fd);
      const script = `
        import { DiskTier } from './src/features/store/disk-tier.ts';
        const t = await DiskTier.open({ path: process.argv[1] + '/l2', maxBytes: 64 << 20 });
        t.set('a', new Uint8Array(16).fill(1));
        await t.flushed();
        const h = t.health();
        await t.close();
        process.stdout.write(JSON.stringify({ state: h.state, reason: h.reason, closed: true }));`;
      const out = await promisify(execFile)(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script, mnt], { cwd: REPO_ROOT, timeout: 100_000 }).catch((e: { stdout?: string; signal?: string }) => e);
      const result = JSON.parse((out as { stdout?: string }).stdout || '{}');
      expect({ signal: (out as { signal?: string }).signal ?? null, ...result }).toMatchObject({ signal: null, state: 'failed', reason: expect.stringMatching(/cannot be created: no space left on the device/), closed: true });
      expect(existsSync(join(mnt, 'l2', 'features.mdb'))).toBe(false);
    } finally {
      execFileSync('umount', [mnt]);
      rmSync(mnt, { recursive: true, force: true });
    }
  });

  // a disk that fails under a file system that believes it has room (statfs cannot see it): ext4 on
  // a loop device whose backing file sits on a real 3 MiB tmpfs; past it, the device's writes fail
  // and lmdb's commits fail at their sync. Before: 32 failed commits, then writes that never settled
  // (flushed() and close() never ended: SIGTERM's drain hung). Needs root, losetup and mkfs.ext4.
  it.runIf(canMount() && canLoop())('a failing disk under the file system: failed at the first failed commit, close ends', { timeout: 120_000 }, async () => {
    const back = mkdtempSync(join(tmpdir(), 'vlr-back-'));
    const mnt = mkdtempSync(join(tmpdir(), 'vlr-disk-'));
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=3m', 'tmpfs', back], { stdio: 'pipe' });
    let loop = '';
    try {
      execFileSync('truncate', ['-s', '32M', join(back, 'disk.img')]);
      loop = execFileSync('losetup', ['-f', '--show', join(back, 'disk.img')], { encoding: 'utf8' }).trim();
      execFileSync('mkfs.ext4', ['-q', '-E', 'lazy_itable_init=1,lazy_journal_init=1', '-O', '^has_journal', loop], { stdio: 'pipe' });
      execFileSync('mount', [loop, mnt], { stdio: 'pipe' });
      const script = `
        import { DiskTier } from './src/features/store/disk-tier.ts';
        let unhandled = 0;
        process.on('unhandledRejection', () => void unhandled++);
        const t = await DiskTier.open({ path: process.argv[1] + '/l2', maxBytes: 64 << 20 });
        for (let i = 0; i < 200; i++) {
          t.set('k' + i, new Uint8Array(64 << 10).fill(i % 251));
          if (i % 5 === 4) await t.flushed();
        }
        await t.flushed();
        const h = t.health();
        await t.close();
        process.stdout.write(JSON.stringify({ state: h.state, reason: h.reason, unhandled, closed: true }));`;
      const out = await promisify(execFile)(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script, mnt], { cwd: REPO_ROOT, timeout: 60_000 }).catch((e: { stdout?: string }) => e);
      const result = JSON.parse((out as { stdout?: string }).stdout || '{}');
      expect(result).toMatchObject({ state: 'failed', reason: expect.stringMatching(/commit failed \(/), unhandled: 0, closed: true });
    } finally {
      execFileSync('umount', [mnt]);
      if (loop) execFileSync('losetup', ['-d', loop]);
      execFileSync('umount', [back]);
      for (const d of [mnt, back]) rmSync(d, { recursive: true, force: true });
    }
  });

  // a read-only mount (a container's read-only root, a volume mounted ro): the test mounts a real
  // tmpfs read-only, which needs root with CAP_SYS_ADMIN (CI has it; skipped otherwise)
  it.runIf(canMount())('a folder on a read-only file system: failed, and health names EROFS, not ENOENT', async () => {
    const mnt = mkdtempSync(join(tmpdir(), 'vlr-ro-'));
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m,ro', 'tmpfs', mnt], { stdio: 'pipe' });
    try {
      const t = await open(join(mnt, 'vlrerank', 'l2'));
      expect(t.state).toBe('failed');
      expect(t.health()).toMatchObject({ state: 'failed', reason: expect.stringMatching(/EROFS|read-only/i) });
      await t.close();
      tiers.length = 0;
    } finally {
      execFileSync('umount', [mnt]);
    }
  });
});

function canMount(): boolean {
  const probe = mkdtempSync(join(tmpdir(), 'vlr-ro-probe-'));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', probe], { stdio: 'pipe' });
    execFileSync('umount', [probe]);
    return true;
  } catch {
    return false;
  }
}

function canLoop(): boolean {
  try {
    execFileSync('losetup', ['-f'], { stdio: 'pipe' });
    execFileSync('mkfs.ext4', ['-V'], { stdio: 'pipe' });
    return true;
  } catch {
    return false;
  }
}
