// Local paths only under the configured roots (after resolving symlinks), data: URIs and base64.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, mkdir, rm, symlink, writeFile } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { MediaSource, classifyRef, sha256Hex } from '../../src/features/media/source.js';
import { DATA } from '../helpers/paths.js';
import { rejection } from '../helpers/errors.js';

let dir: string;
let root: string;
const rocket = readFileSync(join(DATA, 'skimage-clip-smoke/images/rocket.jpg'));

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'vlr-media-'));
  root = join(dir, 'root');
  await mkdir(join(root, 'sub'), { recursive: true });
  await writeFile(join(root, 'sub', 'rocket.jpg'), rocket);
  await writeFile(join(dir, 'outside.jpg'), rocket);
  await symlink(join(dir, 'outside.jpg'), join(root, 'escape.jpg'));
  await symlink(join(root, 'sub', 'rocket.jpg'), join(root, 'inside-link.jpg'));
  await symlink(dir, join(root, 'dirlink'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const src = (roots: string[], maxBytes = 1 << 20) => new MediaSource({ roots, allowHosts: [], maxBytes, fetchTimeoutMs: 1000, maxRedirects: 0 });


describe('local media under roots', () => {
  it('reads relative, absolute and file:// paths inside a root, and in-root symlinks', async () => {
    const s = src([root]);
    for (const ref of ['sub/rocket.jpg', join(root, 'sub/rocket.jpg'), pathToFileURL(join(root, 'sub/rocket.jpg')).href, 'inside-link.jpg']) {
      const m = await s.resolve(ref);
      expect(m.origin).toBe('path');
      expect(m.contentHash).toBe(sha256Hex(rocket));
    }
  });

  it('refuses every path when no root is configured (the default)', async () => {
    const e = await rejection(src([]).resolve(join(root, 'sub/rocket.jpg')));
    expect(e.code).toBe('VLR_MEDIA_FORBIDDEN');
    expect(e.message).toMatch(/no media.roots/);
  });

  it('refuses .. traversal, absolute paths elsewhere and symlinks that leave the root', async () => {
    const s = src([root]);
    for (const ref of ['../outside.jpg', 'sub/../../outside.jpg', join(dir, 'outside.jpg'), 'escape.jpg', 'dirlink/outside.jpg', '/etc/passwd']) {
      expect((await rejection(s.resolve(ref))).code, ref).toBe('VLR_MEDIA_FORBIDDEN');
    }
  });

  it('says 404 for a missing file inside a root, 413 past the byte limit', async () => {
    expect((await rejection(src([root]).resolve('sub/nope.jpg'))).status).toBe(404);
    expect((await rejection(src([root], 1000).resolve('sub/rocket.jpg'))).code).toBe('VLR_MEDIA_TOO_LARGE');
  });
});

describe('data: URIs and base64', () => {
  const b64 = rocket.toString('base64');

  it('tells references apart (base64 JPEG starts with "/9j/", not a path)', () => {
    expect(b64.startsWith('/9j/')).toBe(true);
    expect(classifyRef(b64)).toBe('base64');
    expect(classifyRef('https://x.test/a.jpg')).toBe('url');
    expect(classifyRef('data:image/jpeg;base64,AAAA')).toBe('data-uri');
    expect(classifyRef('/srv/media/a.jpg')).toBe('path');
    expect(classifyRef('products/123.jpg')).toBe('path');
  });

  it('decodes base64 (also wrapped in lines, also base64url) and data: URIs', async () => {
    const s = src([]);
    expect((await s.resolve(b64)).bytes.equals(rocket)).toBe(true);
    expect((await s.resolve(b64.replace(/(.{76})/g, '$1\n'))).bytes.equals(rocket)).toBe(true);
    expect((await s.resolve(rocket.toString('base64url'))).bytes.equals(rocket)).toBe(true);
    const m = await s.resolve(`data:image/jpeg;base64,${b64}`);
    expect(m).toMatchObject({ origin: 'data-uri', mime: 'image/jpeg', contentHash: sha256Hex(rocket) });
    const svg = await s.resolve('data:image/svg+xml,%3Csvg%3E%3C%2Fsvg%3E');
    expect(svg.bytes.toString()).toBe('<svg></svg>');
  });

  it('refuses malformed and oversize inline media', async () => {
    const s = src([], 1000);
    expect((await rejection(s.resolve(`data:image/jpeg;base64,${b64}`))).code).toBe('VLR_MEDIA_TOO_LARGE');
    expect((await rejection(s.resolve(b64))).code).toBe('VLR_MEDIA_TOO_LARGE');
    expect((await rejection(src([]).resolve('data:image/png;base64,@@@notbase64@@@'))).code).toBe('VLR_BAD_REQUEST');
    expect((await rejection(src([]).resolve('data:image/png;base64'))).code).toBe('VLR_BAD_REQUEST');
  });

  // held-out probe round 27b: a shopper's photo damaged on the way was read as a file path (403
  // "outside the allowed media roots" or 404, the whole payload echoed), a tiny photo's short base64 too
  it('reads damaged base64 as base64 and says what is wrong, not as a path', async () => {
    const s = src([root]);
    const damaged: Array<[string, string, RegExp]> = [
      ['a stray character', `${b64.slice(0, 1000)}!${b64.slice(1000)}`, /'!' at character 1001 is not base64/],
      ['padding past two', `${b64.replace(/=+$/, '')}====`, /'=' \(padding\) may only end it/],
      ['percent-encoded', encodeURIComponent(b64), /'%' at character \d+ is not base64 \(percent-encoded/],
      ['a dot inside', `${b64.slice(0, 5000)}.${b64.slice(5000)}`, /'\.' at character 5001/],
    ];
    for (const [what, ref, says] of damaged) {
      const e = await rejection(s.resolve(ref));
      expect({ what, code: e.code }).toEqual({ what, code: 'VLR_BAD_REQUEST' });
      expect(e.message).toMatch(says);
      expect(e.message.length).toBeLessThan(300);
    }
    // a 1×1 GIF is 60 characters of base64: under the length rule, its bytes say what it is
    const gif = 'R0lGODlhAQABAIAAAP///wAAACH5BAEAAAAALAAAAAABAAEAAAICRAEAOw==';
    expect(classifyRef(gif)).toBe('base64');
    expect((await s.resolve(gif)).bytes.toString('latin1', 0, 6)).toBe('GIF89a');
    expect(classifyRef('sub/rocket.jpg')).toBe('path');
    expect(classifyRef('R0lGODlh/photos/a.jpg')).toBe('path');
    // a small thumbnail's base64 damaged likewise (shorter than the length rule)
    expect((await rejection(s.resolve(`${b64.slice(0, 1000)}!`))).message).toMatch(/'!' at character 1001/);
  });
});
