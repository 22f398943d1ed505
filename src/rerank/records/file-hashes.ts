/**
 * The content hash of each document's local photo as it is now, for the documents that came with a
 * feature record (use.ts refuses an image part made from other bytes under the same path: a photo
 * replaced in place kept its old features in the index for good — held-out probe round 27a). A file
 * this process knows unchanged costs one stat(); undefined where the port cannot tell.
 */
import { Semaphore } from '../../util/semaphore.js';
import type { MediaPort } from '../ports.js';
import type { RequestPlan } from '../stages/request.js';

export async function recordFileHashes(p: RequestPlan, records: ReadonlyArray<unknown> | undefined, media: Pick<MediaPort, 'fileContentHash'>, signal?: AbortSignal): Promise<Array<string | undefined>> {
  const hashOf = media.fileContentHash?.bind(media);
  if (!records || !p.useLocal || !hashOf) return [];
  // files this process does not know yet are read to be hashed: a few at a time
  const reads = new Semaphore(8);
  return Promise.all(
    p.req.documents.map(async (d, i) => {
      // only a record whose image part names its bytes (`b`) is checked against them (use.ts): an
      // older build's record, or one without an image part, is used as before — its file not read
      if (d.image === undefined || (records[i] as { image?: { b?: unknown } } | null | undefined)?.image?.b === undefined) return undefined;
      const release = await reads.acquire(signal);
      try {
        return await hashOf(d.image, signal);
      } finally {
        release();
      }
    }),
  );
}
