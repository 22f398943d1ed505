/**
 * A video ffmpeg must seek in (an MP4 whose index follows its data, a GIF) is written to a private
 * temporary file. In a container whose root file system is read-only and whose /tmp is not an
 * emptyDir, that file cannot be made: it was a raw ENOENT/EROFS thrown from the decoder — a
 * document error "VLR_INTERNAL: internal error" that no log line explained (held-out probe round
 * 14b). Now a VlrerankError naming the folder, its cause and the fix (TMPDIR). Real ffmpeg-made
 * clips; the unwritable folder is a path that does not exist and, as root, a real read-only tmpfs.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, expect, it } from 'vitest';
import { VideoDecoder } from '../../src/features/media/video.js';
import { tempDirProblem } from '../../src/features/media/temp-dir.js';
import { DATA } from '../helpers/paths.js';
import { rejection } from '../helpers/errors.js';

const dir = mkdtempSync(join(tmpdir(), 'vlr-tmpdir-'));
// ffmpeg writes the index (moov) after the data unless told +faststart: such a clip needs seeking
const moovLast = join(dir, 'moov-last.mp4');
execFileSync('ffmpeg', ['-loglevel', 'error', '-y', '-i', join(DATA, 'intel-sample-videos/clips/classroom.mp4'), '-t', '1', '-vf', 'scale=96:-2', '-an', moovLast]);
const clip = readFileSync(moovLast);
const saved = process.env.TMPDIR;
afterEach(() => {
  if (saved === undefined) delete process.env.TMPDIR;
  else process.env.TMPDIR = saved;
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

it('an unwritable temporary folder: a clear error naming it and TMPDIR, and the start-up check says so', async () => {
  const missing = join(dir, 'no-such-folder');
  process.env.TMPDIR = missing;
  const e = await rejection(new VideoDecoder().sampleFrames(clip, { maxFrames: 2 }));
  expect(e.code).toBe('VLR_CONFIG_INVALID');
  expect(e.message).toContain(`temporary folder ${missing} is not writable (ENOENT)`);
  expect(e.message).toContain('TMPDIR');
  expect((await tempDirProblem())?.path).toBe(missing);
  // the same clip decodes once the folder exists
  process.env.TMPDIR = dir;
  expect(await tempDirProblem()).toBeUndefined();
  expect((await new VideoDecoder().sampleFrames(clip, { maxFrames: 2 })).frames.length).toBeGreaterThan(0);
});

const root = process.getuid?.() === 0;
it.skipIf(!root)('a read-only tmpfs as TMPDIR (needs root to mount): EROFS named', async () => {
  const ro = join(dir, 'ro');
  execFileSync('mkdir', ['-p', ro]);
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'ro,size=1m', 'tmpfs', ro]);
  try {
    process.env.TMPDIR = ro;
    const e = await rejection(new VideoDecoder().probe(clip));
    expect(e.code).toBe('VLR_CONFIG_INVALID');
    expect(e.message).toContain(`temporary folder ${ro} is not writable (EROFS)`);
  } finally {
    execFileSync('umount', [ro]);
  }
});
