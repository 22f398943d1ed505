/**
 * Small inlined thumbnails for the eval report: a document's photo (sharp, 96 px JPEG as a `data:`
 * URI) or one frame of its video (ffmpeg, one frame at 1 s), and a short text snippet, so the HTML
 * report is one self-contained file.
 *
 * Reads only local files that the indexed documents (or the collection) name, that exist and are
 * not over `maxBytes`, and `data:` URIs; never fetches a URL (a report is built offline), and a
 * media error only leaves the thumbnail out.
 */
import { spawn } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { isAbsolute, resolve } from 'node:path';
import sharp from 'sharp';

const IMAGE = /\.(jpe?g|png|webp|gif|avif|tiff?|bmp)$/i;
const VIDEO = /\.(mp4|webm|mov|mkv|avi|m4v)$/i;

export interface Preview {
  thumb?: string;
  text?: string;
  kind?: 'image' | 'video';
}

/** The first image or video reference and the first text in a document source (walks one level of nesting and arrays). */
export function mediaOf(src: Record<string, unknown>): { image?: string; video?: string; text?: string } {
  const out: { image?: string; video?: string; text?: string } = {};
  const visit = (v: unknown, depth: number) => {
    if (typeof v === 'string') {
      if (/^data:image\//i.test(v) || IMAGE.test(v)) out.image ??= v;
      else if (/^data:video\//i.test(v) || VIDEO.test(v)) out.video ??= v;
      else if (v.trim() && !/^https?:\/\//i.test(v)) out.text ??= v;
    } else if (Array.isArray(v) && depth < 2) v.forEach((x) => visit(x, depth + 1));
    else if (v && typeof v === 'object' && depth < 2) Object.values(v).forEach((x) => visit(x, depth + 1));
  };
  for (const [k, v] of Object.entries(src)) if (!/vector|embedding|_vlrerank|^_?id$/i.test(k)) visit(v, 0);
  return out;
}

async function bytesOf(ref: string, base: string | undefined, maxBytes: number): Promise<Buffer | undefined> {
  const m = /^data:[^;,]+;base64,(.*)$/i.exec(ref);
  if (m) return Buffer.from(m[1]!, 'base64');
  if (/^[a-z][a-z0-9+.-]*:/i.test(ref)) return undefined; // URLs are not fetched for a report
  const p = isAbsolute(ref) ? ref : resolve(base ?? '.', ref);
  if (!existsSync(p)) return undefined;
  const st = statSync(p);
  if (!st.isFile() || st.size > maxBytes) return undefined;
  return readFile(p);
}

/**
 * One frame at 1 s (past a fade-in), or the first frame when the clip is shorter: a clip under a
 * second had no thumbnail at all (held-out eval probe round), ffmpeg seeking past its end.
 */
async function firstFrame(ffmpeg: string, file: string): Promise<Buffer | undefined> {
  return (await frameAt(ffmpeg, file, '1')) ?? frameAt(ffmpeg, file, '0');
}

function frameAt(ffmpeg: string, file: string, at: string): Promise<Buffer | undefined> {
  return new Promise((done) => {
    const child = spawn(ffmpeg, ['-v', 'error', '-ss', at, '-i', file, '-frames:v', '1', '-vf', 'scale=160:-2', '-f', 'image2pipe', '-vcodec', 'png', '-'], { stdio: ['ignore', 'pipe', 'ignore'] });
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
    child.stdout.on('data', (c: Buffer) => chunks.push(c));
    child.on('error', () => done(undefined));
    child.on('close', (code) => {
      clearTimeout(timer);
      done(code === 0 && chunks.length ? Buffer.concat(chunks) : undefined);
    });
  });
}

async function thumb(buf: Buffer, size: number): Promise<string | undefined> {
  try {
    const out = await sharp(buf, { limitInputPixels: 50_000_000 }).rotate().resize(size, size, { fit: 'cover' }).jpeg({ quality: 62 }).toBuffer();
    return `data:image/jpeg;base64,${out.toString('base64')}`;
  } catch {
    return undefined;
  }
}

export interface PreviewOptions {
  /** Folder relative media paths are resolved against. */
  base?: string;
  ffmpegPath?: string;
  size?: number;
  maxBytes?: number;
}

/** A preview of one document source; never throws. */
export async function previewOf(src: Record<string, unknown> | undefined, o: PreviewOptions = {}): Promise<Preview> {
  if (!src) return {};
  const m = mediaOf(src);
  const text = m.text ? (m.text.length > 140 ? `${m.text.slice(0, 139)}…` : m.text) : undefined;
  const size = o.size ?? 96;
  const maxBytes = o.maxBytes ?? 32 * 1024 * 1024;
  try {
    if (m.image) {
      const b = await bytesOf(m.image, o.base, maxBytes);
      if (b) return { thumb: await thumb(b, size), text, kind: 'image' };
    } else if (m.video && !/^data:/i.test(m.video) && !/^[a-z][a-z0-9+.-]*:/i.test(m.video)) {
      const p = isAbsolute(m.video) ? m.video : resolve(o.base ?? '.', m.video);
      if (existsSync(p)) {
        const f = await firstFrame(o.ffmpegPath ?? 'ffmpeg', p);
        if (f) return { thumb: await thumb(f, size), text, kind: 'video' };
      }
    }
  } catch {
    // a thumbnail is decoration: leave it out
  }
  return { text };
}

/** Previews of many documents, a few at a time. */
export async function previews(sources: Map<string, Record<string, unknown>>, ids: string[], o: PreviewOptions = {}): Promise<Record<string, Preview>> {
  const out: Record<string, Preview> = {};
  const todo = [...new Set(ids)];
  for (let i = 0; i < todo.length; i += 4) {
    await Promise.all(todo.slice(i, i + 4).map(async (id) => (out[id] = await previewOf(sources.get(id), o))));
  }
  return out;
}
