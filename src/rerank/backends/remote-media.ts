/**
 * What a remote worker can read: a vLLM / SGLang / vlrerank worker on another machine cannot open a
 * path of this machine's disk, so media references leave this process as
 *   - `http(s)://` URLs unchanged once this process's own URL check passes them (the worker fetches
 *     them: its own SSRF rules hold for their redirects and a changed DNS answer), or
 *   - `data:` URIs: local files (read through the media source, so the allowed-roots check holds)
 *     and uploads; images are shrunk to `maxImageSide` (what a VLM reranker reads is far smaller
 *     than a camera photo) and re-encoded as JPEG; videos go as they are.
 * Every inlined item is bounded by `maxMediaBytes`: larger is refused (VLR_MEDIA_TOO_LARGE, not
 * retried on another worker) rather than sent. Never sends a local path.
 */
import sharp from 'sharp';
import { isVlrerankError, toVlrerankError, vlrError, type VlrerankError } from '../../errors.js';

export interface RemoteMediaReader {
  /** The media source's resolve: applies the roots check, size limit and SSRF rules. */
  resolve(ref: string, options: { maxBytes?: number; signal?: AbortSignal }): Promise<{ bytes: Buffer }>;
  /** The media source's URL check (its SSRF rules) without a fetch: a URL a worker is given must be one this process would fetch. */
  checkUrl?(ref: string, before: string, signal?: AbortSignal): Promise<void>;
}

export interface RemoteMediaOptions {
  /** Reads local files and uploads; without it a local path cannot be sent (an error, never the path). */
  reader?: RemoteMediaReader;
  /** Largest inlined item, bytes (default 8 MiB). */
  maxMediaBytes?: number;
  /** Longest image side sent (default 1024 px). */
  maxImageSide?: number;
  /** Pixel bound of the images decoded for shrinking (default 100 MP). */
  maxPixels?: number;
}

const VIDEO_MIME: Record<string, string> = { mp4: 'video/mp4', m4v: 'video/mp4', webm: 'video/webm', mov: 'video/quicktime', mkv: 'video/x-matroska', avi: 'video/x-msvideo' };

export function isFetchableUrl(ref: string): boolean {
  return /^https?:\/\//i.test(ref);
}

/** The URL a remote worker is given for one image or video reference. */
export async function workerMediaUrl(ref: string, kind: 'image' | 'video', opts: RemoteMediaOptions, signal?: AbortSignal): Promise<string> {
  if (isFetchableUrl(ref)) {
    // the worker fetches it: this process's media rules (media.allowHosts, the SSRF guard) hold for it first
    await opts.reader?.checkUrl?.(ref, 'handing it to a remote worker', signal);
    return ref;
  }
  const max = opts.maxMediaBytes ?? 8 * 1024 * 1024;
  if (!opts.reader) {
    throw vlrError('VLR_MEDIA_UNSUPPORTED', `the remote scorer cannot read local media (${kind} ${JSON.stringify(ref.slice(0, 80))}): configure a media source for it, or send an http(s) URL`, {
      details: { retryable: false },
    });
  }
  // the reader bounds what it reads; an image may be larger than what is sent (it is shrunk below)
  const { bytes } = await opts.reader.resolve(ref, { signal, ...(kind === 'video' ? { maxBytes: max } : {}) });
  if (kind === 'video') {
    if (bytes.length > max) throw tooLarge(kind, bytes.length, max);
    const ext = /^data:/i.test(ref) ? '' : (ref.split('?')[0]!.split('.').pop() ?? '').toLowerCase();
    const mime = /^data:([^;,]+)/i.exec(ref)?.[1] ?? VIDEO_MIME[ext] ?? 'application/octet-stream';
    return `data:${mime};base64,${bytes.toString('base64')}`;
  }
  const side = opts.maxImageSide ?? 1024;
  let jpeg: Buffer;
  try {
    jpeg = await sharp(bytes, { limitInputPixels: opts.maxPixels ?? 100_000_000, pages: 1, page: 0 })
      .rotate()
      .resize({ width: side, height: side, fit: 'inside', withoutEnlargement: true })
      .flatten({ background: '#ffffff' })
      .jpeg({ quality: 90 })
      .toBuffer();
  } catch (e) {
    throw vlrError('VLR_MEDIA_UNSUPPORTED', `image ${JSON.stringify(ref.slice(0, 80))} could not be decoded for the remote scorer: ${(e as Error).message}`, {
      cause: e,
      details: { retryable: false },
    });
  }
  if (jpeg.length > max) throw tooLarge(kind, jpeg.length, max);
  return `data:image/jpeg;base64,${jpeg.toString('base64')}`;
}

function tooLarge(kind: string, n: number, max: number) {
  return vlrError('VLR_MEDIA_TOO_LARGE', `${kind} is ${n} bytes, over the ${max}-byte limit of what is sent to a remote scorer (rerank.remote.maxMediaBytes)`, {
    details: { retryable: false },
  });
}

type Part = { type: 'text'; text: string } | { type: 'image_url'; image_url: { url: string } } | { type: 'video_url'; video_url: { url: string } };
type Item = { text?: string; image?: string; video?: string };

/** One query/document as the remote APIs expect it: a plain string when it is only text (media references as given). */
export function toRemoteItem(x: Item): string | { content: Part[] } {
  if (x.image === undefined && x.video === undefined) return x.text ?? '';
  const content: Part[] = [];
  if (x.text !== undefined) content.push({ type: 'text', text: x.text });
  if (x.image !== undefined) content.push({ type: 'image_url', image_url: { url: x.image } });
  if (x.video !== undefined) content.push({ type: 'video_url', video_url: { url: x.video } });
  return { content };
}

/** The same, with every media reference turned into something the worker can read (URL or data: URI). */
export async function workerItem(x: Item, media: RemoteMediaOptions, signal?: AbortSignal): Promise<string | { content: Part[] }> {
  const [image, video] = await Promise.all([
    x.image !== undefined ? workerMediaUrl(x.image, 'image', media, signal) : undefined,
    x.video !== undefined ? workerMediaUrl(x.video, 'video', media, signal) : undefined,
  ]);
  return toRemoteItem({ text: x.text, image, video });
}

/**
 * The documents as a worker reads them. A document whose image or video cannot be sent (outside the
 * media roots, missing, undecodable, over maxMediaBytes) goes without it — its text, or an empty
 * string — and its error is returned by index, as the local backend reports it; an abort still ends
 * the whole call.
 */
export async function workerDocuments(
  docs: Item[],
  media: RemoteMediaOptions,
  signal?: AbortSignal,
): Promise<{ items: Array<string | { content: Part[] }>; errors: Array<{ index: number; error: VlrerankError }> }> {
  const errors: Array<{ index: number; error: VlrerankError }> = [];
  const items = await Promise.all(
    docs.map(async (d, index) => {
      try {
        return await workerItem(d, media, signal);
      } catch (e) {
        if (signal?.aborted || !isVlrerankError(e)) throw e;
        const field = `documents[${index}].${d.video !== undefined && d.image === undefined ? 'video' : 'image'}`;
        const err = toVlrerankError(e);
        errors.push({ index, error: vlrError(err.code, `[${field}] ${err.message}`, { cause: err.cause, details: { ...err.details, field }, status: err.status }) });
        return toRemoteItem({ text: d.text ?? '' });
      }
    }),
  );
  return { items, errors: errors.sort((a, b) => a.index - b.index) };
}

type Sent = string | { content: Part[] };

/** The document whose inlined (data:) media is the largest, when one has any: the one a worker's 413 drops. */
export function largestInlined(items: Sent[]): { index: number; kind: 'image' | 'video'; bytes: number } | undefined {
  let best: { index: number; kind: 'image' | 'video'; bytes: number } | undefined;
  items.forEach((item, index) => {
    if (typeof item === 'string') return;
    for (const p of item.content) {
      const url = p.type === 'image_url' ? p.image_url.url : p.type === 'video_url' ? p.video_url.url : '';
      if (/^data:/i.test(url) && (!best || url.length > best.bytes)) best = { index, kind: p.type === 'image_url' ? 'image' : 'video', bytes: url.length };
    }
  });
  return best;
}

/** The error of a document sent on its text because a worker refused the call with its media inlined (413). */
export function tooLargeForWorker(drop: { index: number; kind: 'image' | 'video'; bytes: number }, refusal: string): VlrerankError {
  const field = `documents[${drop.index}].${drop.kind}`;
  return vlrError('VLR_MEDIA_TOO_LARGE', `[${field}] ranked on its text: with this ${drop.kind} inlined (${drop.bytes} bytes) the call was too large for the worker — ${refusal}`, {
    details: { retryable: false, field },
  });
}
