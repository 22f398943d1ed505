/** Held-out probe round 27b: query photos made the way phones and browsers make them, with sharp, into a temp folder. */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';

export const KINDS = ['clean', 'exif3', 'exif6', 'exif8', 'crop', 'half', 'blur', 'screenshot', 'sticker', 'webp', 'avif', 'mp12', 'png16', 'alpha', 'grey', 'progressive', 'thumb32'] as const;

/** The query photo of this kind, written into `dir`; its bytes. */
export async function queryCopy(src: string, kind: string, dir: string, name: string): Promise<Buffer> {
  const img = () => sharp(src);
  const { width: w, height: h } = await img().metadata();
  const W = w!;
  const H = h!;
  let out: Buffer;
  switch (kind) {
    case 'clean': out = await img().jpeg({ quality: 92 }).toBuffer(); break;
    // the pixels as a phone's sensor stores them, the tag saying how to show them upright
    case 'exif3': out = await sharp(await img().rotate(180).toBuffer()).withMetadata({ orientation: 3 }).jpeg({ quality: 92 }).toBuffer(); break;
    case 'exif6': out = await sharp(await img().rotate(270).toBuffer()).withMetadata({ orientation: 6 }).jpeg({ quality: 92 }).toBuffer(); break;
    case 'exif8': out = await sharp(await img().rotate(90).toBuffer()).withMetadata({ orientation: 8 }).jpeg({ quality: 92 }).toBuffer(); break;
    case 'crop': out = await img().extract({ left: Math.round(W * 0.2), top: Math.round(H * 0.2), width: Math.round(W * 0.6), height: Math.round(H * 0.6) }).jpeg({ quality: 92 }).toBuffer(); break;
    case 'half': out = await img().resize(Math.round(W / 2), Math.round(H / 2)).jpeg({ quality: 85 }).toBuffer(); break;
    case 'blur': out = await img().blur(3).jpeg({ quality: 90 }).toBuffer(); break;
    case 'screenshot': {
      // a phone screenshot: the photo in a 9:19.5 screen, status bar on top, toolbar below
      const sw = 1170;
      const sh = 2532;
      const photo = await img().resize({ width: sw }).toBuffer();
      const ph = Math.round((H * sw) / W);
      const bar = Buffer.from(`<svg width="${sw}" height="140"><rect width="${sw}" height="140" fill="#f2f2f7"/><text x="60" y="95" font-size="52" font-family="sans-serif">9:41</text><rect x="980" y="60" width="120" height="45" rx="10" fill="#111"/></svg>`);
      const tool = Buffer.from(`<svg width="${sw}" height="300"><rect width="${sw}" height="300" fill="#fafafa"/><circle cx="200" cy="140" r="50" fill="#0a84ff"/><circle cx="585" cy="140" r="50" fill="#0a84ff"/><circle cx="970" cy="140" r="50" fill="#0a84ff"/></svg>`);
      out = await sharp({ create: { width: sw, height: sh, channels: 3, background: '#000' } })
        .composite([{ input: bar, top: 0, left: 0 }, { input: photo, top: Math.max(140, Math.round((sh - ph) / 2)), left: 0 }, { input: tool, top: sh - 300, left: 0 }])
        .png().toBuffer();
      break;
    }
    case 'sticker': {
      const s = Buffer.from(`<svg width="${Math.round(W * 0.4)}" height="${Math.round(H * 0.25)}"><rect width="100%" height="100%" rx="30" fill="#ff2d55" opacity="0.9"/><text x="8%" y="65%" font-size="${Math.round(H * 0.1)}" fill="#fff" font-family="sans-serif">SALE -50%</text></svg>`);
      out = await img().composite([{ input: s, top: Math.round(H * 0.05), left: Math.round(W * 0.55) }]).jpeg({ quality: 90 }).toBuffer();
      break;
    }
    case 'webp': out = await img().webp({ quality: 80 }).toBuffer(); break;
    case 'avif': out = await img().avif({ quality: 60 }).toBuffer(); break;
    case 'mp12': out = await img().resize(4000, 3000, { fit: 'fill' }).jpeg({ quality: 92 }).toBuffer(); break;
    case 'png16': out = await img().toColourspace('rgb16').png().toBuffer(); break;
    case 'alpha': out = await img().ensureAlpha(0.8).png().toBuffer(); break;
    case 'grey': out = await img().greyscale().jpeg({ quality: 90 }).toBuffer(); break;
    case 'progressive': out = await img().jpeg({ quality: 90, progressive: true }).toBuffer(); break;
    case 'thumb32': out = await img().resize(32, 32, { fit: 'fill' }).jpeg({ quality: 90 }).toBuffer(); break;
    default: throw new Error(`unknown kind ${kind}`);
  }
  writeFileSync(join(dir, `${name}-${kind}`), out);
  return out;
}
