// Fuzzing the media parsers: whatever a client sends as a media reference or media bytes, the
// answer is bytes or a VlrerankError (an ES-shaped 4xx/5xx), never a crash or another error type.
import { afterAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import sharp from 'sharp';
import { MediaSource } from '../../src/features/media/source.js';
import { AddressPolicy } from '../../src/features/media/address-policy.js';
import { decodeDataUri } from '../../src/features/media/inline.js';
import { decodeImage } from '../../src/features/media/image.js';
import { needsSeekableInput } from '../../src/features/media/video-frames.js';
import { VlrerankError } from '../../src/errors.js';

const source = new MediaSource({ roots: [], allowHosts: [], maxBytes: 1 << 16, fetchTimeoutMs: 1000, maxRedirects: 0 });
afterAll(() => source.close());

async function settles(p: Promise<unknown>): Promise<void> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(VlrerankError);
  }
}

describe('media parsers under fuzzing', () => {
  it('resolve() of any non-URL string gives bytes or a VlrerankError', async () => {
    const refs = fc.oneof(
      fc.string(),
      fc.string().map((s) => `data:${s}`),
      fc.string().map((s) => `data:image/png;base64,${s}`),
      fc.base64String().map((s) => s + s + s + s),
      fc.string().map((s) => `file://${s}`),
    ).filter((s) => !/^https?:\/\//i.test(s));
    await fc.assert(fc.asyncProperty(refs, (ref) => settles(source.resolve(ref))), { numRuns: 300 });
  });

  it('decodeDataUri never throws anything but a VlrerankError', () => {
    fc.assert(
      fc.property(fc.string(), (s) => {
        try {
          decodeDataUri(`data:${s}`, 1 << 16);
        } catch (e) {
          expect(e).toBeInstanceOf(VlrerankError);
        }
      }),
      { numRuns: 500 },
    );
  });

  it('decodeImage of random or mutated image bytes gives RGB or a VlrerankError', async () => {
    const png = await sharp({ create: { width: 16, height: 16, channels: 3, background: '#336699' } }).png().toBuffer();
    const jpg = await sharp({ create: { width: 16, height: 16, channels: 3, background: '#336699' } }).jpeg().toBuffer();
    const mutated = fc.tuple(fc.constantFrom(png, jpg), fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 8 }), fc.option(fc.nat())).map(([b, edits, cut]) => {
      const x = Buffer.from(b);
      for (const [i, v] of edits) x[i % x.length] = v;
      return cut === null ? x : x.subarray(0, cut % x.length);
    });
    const inputs = fc.oneof(fc.uint8Array({ maxLength: 512 }).map((a) => Buffer.from(a)), mutated);
    await fc.assert(fc.asyncProperty(inputs, (b) => settles(decodeImage(b))), { numRuns: 200 });
  });

  it('needsSeekableInput never throws on arbitrary bytes', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 256 }), (a) => typeof needsSeekableInput(Buffer.from(a)) === 'boolean'), { numRuns: 500 });
  });

  it('the address policy answers for any string', () => {
    const p = new AddressPolicy(['10.0.0.0/8', 'cdn.internal']);
    fc.assert(fc.property(fc.string(), fc.string(), (a, h) => {
      const r = p.refusal(a, h);
      return r === undefined || typeof r === 'string';
    }), { numRuns: 500 });
  });
});
