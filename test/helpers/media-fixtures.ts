/**
 * Small media made on the fly for the features tests (never committed binaries): images in every
 * format, an EXIF-oriented JPEG, an animated GIF, a 20000×20000 PNG "decompression bomb" built by
 * hand (a valid 1-bit PNG of ~50 KB), a corrupt JPEG.
 */
import { deflateSync } from 'node:zlib';
import sharp from 'sharp';

/** A 40×20 image: red left quarter, green elsewhere; orientation tag as given (6 = rotate 90° clockwise to display). */
export async function orientedJpeg(orientation: number): Promise<Buffer> {
  return sharp({ create: { width: 40, height: 20, channels: 3, background: '#00ff00' } })
    .composite([{ input: { create: { width: 10, height: 20, channels: 3, background: '#ff0000' } }, left: 0, top: 0 }])
    .jpeg({ quality: 95 })
    .withMetadata({ orientation })
    .toBuffer();
}

/** A two-frame animated GIF: red frame first, blue second. */
export async function twoFrameGif(): Promise<Buffer> {
  const red = await sharp({ create: { width: 16, height: 12, channels: 3, background: '#ff0000' } }).png().toBuffer();
  const blue = await sharp({ create: { width: 16, height: 12, channels: 3, background: '#0000ff' } }).png().toBuffer();
  return sharp([red, blue], { join: { animated: true } }).gif().toBuffer();
}

function crc32(buf: Buffer): number {
  let c = ~0;
  for (const b of buf) {
    c ^= b;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0xedb88320 : c >>> 1;
  }
  return ~c >>> 0;
}

function chunk(type: string, data: Buffer): Buffer {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const td = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(td));
  return Buffer.concat([len, td, crc]);
}

/** A valid 1-bit greyscale PNG of width×height, all black, compressed to a few dozen KB. */
export function hugePng(width = 20000, height = 20000): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 1; // bit depth
  ihdr[9] = 0; // greyscale
  const rowBytes = 1 + Math.ceil(width / 8); // filter byte + packed bits
  const idat = deflateSync(Buffer.alloc(rowBytes * height), { level: 9 });
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', ihdr), chunk('IDAT', idat), chunk('IEND', Buffer.alloc(0))]);
}

/** A real JPEG with its entropy-coded data overwritten every 97 bytes (header intact). */
export async function corruptJpeg(source: Buffer): Promise<Buffer> {
  const jpg = await sharp(source).jpeg().toBuffer();
  const bad = Buffer.from(jpg);
  for (let i = 600; i < bad.length - 10; i += 97) bad[i] = 0xff;
  return bad;
}

/**
 * A CMYK image as print tools write it, from 8-bit RGB pixels by the plain formula (C = 255 − R,
 * M = 255 − G, Y = 255 − B, K = 0; what PIL's `convert('CMYK')` writes): an uncompressed CMYK TIFF
 * built by hand (Photometric 5, InkSet 1), and the same pixels as a CMYK JPEG (libvips writes it
 * Adobe-style, inverted) — no ICC profile in either.
 */
export async function cmykFromRgb(rgb: Buffer, width: number, height: number): Promise<{ tiff: Buffer; jpeg: Buffer }> {
  const n = width * height;
  const pixels = Buffer.alloc(n * 4);
  for (let i = 0; i < n; i++) for (let c = 0; c < 3; c++) pixels[i * 4 + c] = 255 - rgb[i * 3 + c]!;
  const entries: Array<[tag: number, type: 3 | 4, count: number, value: number]> = [];
  const bps = 8 + 2 + 11 * 12 + 4; // after the header and the IFD: BitsPerSample's four shorts, then the pixels
  entries.push([256, 4, 1, width], [257, 4, 1, height], [258, 3, 4, bps], [259, 3, 1, 1], [262, 3, 1, 5], [273, 4, 1, bps + 8]);
  entries.push([277, 3, 1, 4], [278, 4, 1, height], [279, 4, 1, pixels.length], [284, 3, 1, 1], [332, 3, 1, 1]);
  const head = Buffer.alloc(bps + 8);
  head.write('II*\0', 0, 'latin1');
  head.writeUInt32LE(8, 4);
  head.writeUInt16LE(entries.length, 8);
  entries.forEach(([tag, type, count, value], i) => {
    const o = 10 + i * 12;
    head.writeUInt16LE(tag, o);
    head.writeUInt16LE(type, o + 2);
    head.writeUInt32LE(count, o + 4);
    if (type === 3 && count === 1) head.writeUInt16LE(value, o + 8);
    else head.writeUInt32LE(value, o + 8);
  });
  head.writeUInt32LE(0, 10 + entries.length * 12); // no next IFD
  for (let c = 0; c < 4; c++) head.writeUInt16LE(8, bps + c * 2);
  const tiff = Buffer.concat([head, pixels]);
  const jpeg = await sharp(tiff).pipelineColourspace('cmyk').toColourspace('cmyk').jpeg({ quality: 95, chromaSubsampling: '4:4:4' }).toBuffer();
  return { tiff, jpeg };
}
