// The one rule for local media (models' media source and the UI's thumbnails alike): the real
// path of the file inside the real path of a configured root, else 403 (or 404 when nothing is there).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdir, mkdtemp, realpath, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findUnderRealRoots, realRoots, resolveUnderRoots } from '../../src/features/media/local.js';

let base: string;
let root: string;
let second: string;
beforeAll(async () => {
  base = await realpath(await mkdtemp(join(tmpdir(), 'vlr-roots-')));
  root = join(base, 'root');
  second = join(base, 'second');
  await mkdir(join(root, 'sub'), { recursive: true });
  await mkdir(second, { recursive: true });
  await mkdir(join(base, 'root2'), { recursive: true });
  await writeFile(join(root, 'sub', 'a.jpg'), 'x');
  await writeFile(join(second, 'only-here.jpg'), 'x');
  await writeFile(join(base, 'secret.jpg'), 'x');
  await writeFile(join(base, 'root2', 'b.jpg'), 'x');
  await symlink(join(base, 'secret.jpg'), join(root, 'escape.jpg'));
  await symlink(join(root, 'sub', 'a.jpg'), join(root, 'inside-link.jpg'));
});
afterAll(async () => {
  await rm(base, { recursive: true, force: true });
});

describe('resolveUnderRoots', () => {
  it('gives the real path of an absolute or relative path inside a root, and of an in-root symlink', async () => {
    const real = join(root, 'sub', 'a.jpg');
    expect(await resolveUnderRoots(real, [root])).toBe(real);
    expect(await resolveUnderRoots('sub/a.jpg', [root])).toBe(real);
    expect(await resolveUnderRoots('inside-link.jpg', [root])).toBe(real);
  });

  it('looks a relative path up in each root in order', async () => {
    expect(await resolveUnderRoots('only-here.jpg', [root, second])).toBe(join(second, 'only-here.jpg'));
  });

  it('refuses ../ traversal, absolute paths outside, symlinks that leave the root and prefix siblings (403)', async () => {
    for (const p of ['../secret.jpg', 'sub/../../secret.jpg', join(base, 'secret.jpg'), 'escape.jpg', join(base, 'root2', 'b.jpg'), '/etc/passwd']) {
      await expect(resolveUnderRoots(p, [root]), p).rejects.toMatchObject({ code: 'VLR_MEDIA_FORBIDDEN', status: 403 });
    }
  });

  it('answers a missing path outside the roots as one that exists there: 403, never 404 (held-out probe round 25a)', async () => {
    // "does not exist" for a missing path but "outside the roots" for an existing one told any client
    // which files exist anywhere on the server (through /_vlrerank/media, a rerank request, a document)
    for (const p of [join(base, 'secret.jpg'), join(base, 'no-such.jpg'), join(base, 'no-dir', 'x.jpg'), '/etc/passwd', '/etc/no-such-file-p25a', '../secret.jpg', '../no-such.jpg']) {
      await expect(resolveUnderRoots(p, [root]), p).rejects.toMatchObject({ code: 'VLR_MEDIA_FORBIDDEN', status: 403, message: expect.stringContaining('is outside the allowed media roots') });
    }
    // inside a root (or a folder not yet made there), a missing file is still a 404
    for (const p of [join(root, 'sub', 'no.jpg'), join(root, 'no-dir', 'x.jpg'), 'sub/no.jpg']) {
      await expect(resolveUnderRoots(p, [root]), p).rejects.toMatchObject({ code: 'VLR_NOT_FOUND', status: 404 });
    }
  });

  it('answers 404 for a missing file, 403 without roots, 400 for an empty path or a NUL byte', async () => {
    await expect(resolveUnderRoots('nope.jpg', [root])).rejects.toMatchObject({ code: 'VLR_NOT_FOUND', status: 404 });
    await expect(resolveUnderRoots(join(root, 'sub', 'a.jpg'), [])).rejects.toMatchObject({ code: 'VLR_MEDIA_FORBIDDEN' });
    await expect(resolveUnderRoots(join(root, 'sub', 'a.jpg'), [join(base, 'no-such-root')])).rejects.toMatchObject({ code: 'VLR_MEDIA_FORBIDDEN' });
    await expect(resolveUnderRoots('', [root])).rejects.toMatchObject({ code: 'VLR_BAD_REQUEST' });
    await expect(resolveUnderRoots('sub/a.jpg\0.png', [root])).rejects.toMatchObject({ code: 'VLR_BAD_REQUEST' });
  });

  it('checks against roots resolved once (findUnderRealRoots), naming the path as the caller showed it', async () => {
    const roots = await realRoots([root, join(base, 'no-such-root')]);
    expect(roots).toEqual([root]);
    expect(await findUnderRealRoots('sub/a.jpg', roots)).toBe(join(root, 'sub', 'a.jpg'));
    await expect(findUnderRealRoots('escape.jpg', roots, 'file:///escape.jpg')).rejects.toThrow(/file:\/\/\/escape\.jpg/);
  });
});
