/** Task dup25: near copies of a photo made at run time with sharp (scripts/probe/d25-own-photo.ts, d25-cosines.ts). */
import { join } from 'node:path';
import sharp from 'sharp';

/** A near copy of `src` of the given kind, written into `dir` (the photo itself for `own`). */
export async function nearCopy(src: string, kind: string, dir: string, name: string): Promise<string> {
  if (kind === 'own') return src;
  const out = join(dir, `${name}-${kind}.jpg`);
  const img = sharp(src);
  const { width, height } = await img.metadata();
  if (kind === 'q60') await img.jpeg({ quality: 60 }).toFile(out);
  else if (kind === 'half') await img.resize(Math.round(width! / 2), Math.round(height! / 2)).jpeg({ quality: 90 }).toFile(out);
  else if (kind === 'crop10') {
    const dx = Math.round(width! * 0.05);
    const dy = Math.round(height! * 0.05);
    await img.extract({ left: dx, top: dy, width: width! - 2 * dx, height: height! - 2 * dy }).jpeg({ quality: 90 }).toFile(out);
  } else throw new Error(`unknown kind ${kind}`);
  return out;
}
