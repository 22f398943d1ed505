/**
 * Media helpers for the pages: read an uploaded/dropped/pasted file as a data: URI (what the
 * rerank and search APIs accept), and turn a document's media value into something the browser
 * can show: data: and http(s) URLs as they are, local paths through the server's
 * /_vlrerank/media endpoint (which only serves files under the configured media roots).
 */
import { at } from './api.js';
import { h } from './dom.js';

export type Kind = 'image' | 'video';

export const IMAGE_RE = /\.(jpe?g|png|webp|gif|bmp|tiff?|avif)$/i;
export const VIDEO_RE = /\.(mp4|mkv|webm|mov|avi|m4v)$/i;

export function kindOfFile(f: File): Kind | null {
  if (f.type.startsWith('image/') || IMAGE_RE.test(f.name)) return 'image';
  if (f.type.startsWith('video/') || VIDEO_RE.test(f.name)) return 'video';
  return null;
}

/**
 * Why a picked file is refused before it is sent, when the browser's type or its name says more
 * than "not an image": HEIC/HEIF (what iPhones write; often no MIME type on Linux and Windows, so it
 * read as "not an image file") and SVG are not decoded by the server (held-out probe round 13c).
 */
export function refusedFile(f: File): string | undefined {
  if (/^image\/hei[cf]/i.test(f.type) || /\.(heic|heif)$/i.test(f.name)) return `${f.name}: HEIC/HEIF photos are not decoded — export it as JPEG (or PNG, WebP, AVIF)`;
  if (/^image\/svg/i.test(f.type) || /\.svgz?$/i.test(f.name)) return `${f.name}: SVG drawings are not decoded — export it as PNG or JPEG`;
  return undefined;
}

export function readAsDataUrl(f: File): Promise<string> {
  return new Promise((resolve, reject) => {
    const r = new FileReader();
    r.onload = () => resolve(String(r.result));
    r.onerror = () => reject(r.error ?? new Error('cannot read file'));
    r.readAsDataURL(f);
  });
}

/** Classify a string value found in a document's _source. */
export function kindOfValue(v: string): Kind | null {
  if (v.startsWith('data:image/')) return 'image';
  if (v.startsWith('data:video/')) return 'video';
  const path = v.split(/[?#]/)[0] ?? v;
  if (IMAGE_RE.test(path)) return 'image';
  if (VIDEO_RE.test(path)) return 'video';
  return null;
}

export function mediaUrl(v: string, opts: { strip?: number } = {}): string {
  if (v.startsWith('data:') || (/^https?:\/\//.test(v) && !opts.strip)) return v;
  const q = new URLSearchParams({ src: v });
  if (opts.strip) q.set('strip', String(opts.strip));
  return at(`/_vlrerank/media?${q}`);
}

/** A thumbnail: an <img>, or for a video a frame strip (server-side, ffmpeg) with the clip on demand. */
export function thumb(v: string, kind: Kind, alt: string): HTMLElement {
  if (kind === 'image') {
    const img = h('img.thumb', { src: mediaUrl(v), alt, loading: 'lazy', decoding: 'async' });
    img.addEventListener('error', () => img.replaceWith(missing(alt, 'image unavailable')));
    return img;
  }
  if (v.startsWith('data:')) return h('video.thumb', { src: v, muted: true, controls: true, preload: 'metadata', 'aria-label': alt });
  const strip = h('img.strip', { src: mediaUrl(v, { strip: 4 }), alt: `${alt} (4 frames)`, loading: 'lazy' });
  strip.addEventListener('error', () => strip.replaceWith(missing(alt, 'frames unavailable')));
  return strip;
}

/**
 * The stand-in for a picture that did not load: named by the document's words like the picture
 * was, never by its path or URL (held-out probe round 17d: a `title` with the path was what a
 * screen reader and a hover read out — `nowhere/missing.jpg`).
 */
function missing(alt: string, what: string): HTMLElement {
  return h('div.thumb.missing', { role: 'img', 'aria-label': `${alt} (${what})` }, [h('span', { 'aria-hidden': 'true', text: what })]);
}

/** Find image/video values in a _source (dotted paths, arrays), first ones first. */
export function findMedia(src: unknown, prefix = '', out: Array<{ path: string; value: string; kind: Kind }> = []): typeof out {
  if (typeof src === 'string') {
    const k = kindOfValue(src);
    if (k) out.push({ path: prefix, value: src, kind: k });
  } else if (Array.isArray(src)) {
    for (const x of src) findMedia(x, prefix, out);
  } else if (src && typeof src === 'object') {
    for (const [k, v] of Object.entries(src)) if (!/vector|embedding/i.test(k)) findMedia(v, prefix ? `${prefix}.${k}` : k, out);
  }
  return out;
}

/** A human title for a hit: the first of the usual title-ish fields. */
export function titleOf(src: Record<string, unknown> | undefined, fallback: string): string {
  if (!src) return fallback;
  for (const k of ['title', 'name', 'label', 'caption', 'class_name', 'text', 'description']) {
    const v = src[k];
    if (typeof v === 'string' && v.trim()) return v.length > 90 ? `${v.slice(0, 87)}…` : v;
    if (Array.isArray(v) && typeof v[0] === 'string') return v[0];
  }
  return fallback;
}

export function subtitleOf(src: Record<string, unknown> | undefined): string {
  if (!src) return '';
  for (const k of ['description', 'text', 'captions', 'abstract']) {
    const v = src[k];
    const t = typeof v === 'string' ? v : Array.isArray(v) ? v.filter((x) => typeof x === 'string').join(' · ') : '';
    if (t && t !== titleOf(src, '')) return t.length > 160 ? `${t.slice(0, 157)}…` : t;
  }
  return '';
}
