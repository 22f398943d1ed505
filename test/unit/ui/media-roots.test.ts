// The UI's media endpoint serves only files inside the configured roots: the root check itself.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { mkdtemp, mkdir, writeFile, symlink, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resolveUnderRoots } from '../../../src/features/media/local.js';

let base: string;
let root: string;
beforeAll(async () => {
  base = await mkdtemp(join(tmpdir(), 'vlr-media-'));
  root = join(base, 'root');
  await mkdir(join(root, 'sub'), { recursive: true });
  await writeFile(join(root, 'sub', 'a.jpg'), 'x');
  await writeFile(join(base, 'secret.jpg'), 'x');
  await symlink(join(base, 'secret.jpg'), join(root, 'escape.jpg'));
});
afterAll(async () => {
  await rm(base, { recursive: true, force: true });
});

describe('resolveUnderRoots', () => {
  it('accepts an absolute path inside a root and a path relative to a root', async () => {
    expect(await resolveUnderRoots(join(root, 'sub', 'a.jpg'), [root])).toMatch(/sub\/a\.jpg$/);
    expect(await resolveUnderRoots('sub/a.jpg', [root])).toMatch(/sub\/a\.jpg$/);
  });
  it('refuses ../ traversal, absolute paths outside and symlinks that leave the root', async () => {
    await expect(resolveUnderRoots('../secret.jpg', [root])).rejects.toMatchObject({ code: 'VLR_MEDIA_FORBIDDEN' });
    await expect(resolveUnderRoots(join(base, 'secret.jpg'), [root])).rejects.toMatchObject({ code: 'VLR_MEDIA_FORBIDDEN' });
    await expect(resolveUnderRoots(join(root, 'escape.jpg'), [root])).rejects.toMatchObject({ code: 'VLR_MEDIA_FORBIDDEN' });
  });
  it('does not treat a sibling folder sharing the prefix as inside', async () => {
    await mkdir(join(base, 'root2'), { recursive: true });
    await writeFile(join(base, 'root2', 'b.jpg'), 'x');
    await expect(resolveUnderRoots(join(base, 'root2', 'b.jpg'), [root])).rejects.toMatchObject({ code: 'VLR_MEDIA_FORBIDDEN' });
  });
  it('answers 404 for a missing file and 403 when no roots are configured', async () => {
    await expect(resolveUnderRoots('nope.jpg', [root])).rejects.toMatchObject({ code: 'VLR_NOT_FOUND' });
    await expect(resolveUnderRoots(join(root, 'sub', 'a.jpg'), [])).rejects.toMatchObject({ code: 'VLR_MEDIA_FORBIDDEN' });
  });
});
