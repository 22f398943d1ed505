/**
 * The JSON bytes of an answer vlrerank builds itself (a `/v1/rerank` answer, a reranked `_search`):
 * written by the JSON worker when large (util/json-worker.ts `stringify`: an answer that echoes a
 * 10 MiB document held the event loop while health waited, issue 13), here when small. A worker that
 * fails is a 503 in the API's own shape (the caller's error path), never a hang.
 */
import type { ServerResponse } from 'node:http';
import { vlrError } from '../errors.js';
import type { JsonWorker } from '../util/json-worker.js';

/** `value` as JSON bytes (`indent`: indented, a newline after, as `?pretty` asks). */
export async function answerJson(worker: Pick<JsonWorker, 'stringify'>, value: unknown, indent?: number): Promise<Buffer> {
  const r = await worker.stringify(value, indent);
  if (r.ok) return r.bytes;
  throw vlrError('VLR_INTERNAL', `the JSON worker failed to write the answer (${r.message}); send the request again`, { status: 503 });
}

/** Has the client gone while its answer was being written? Then nothing is written. */
export function answerUnwanted(res: ServerResponse): boolean {
  return res.destroyed || !!res.req?.socket?.destroyed;
}

/** Answers larger than this go to the socket a slice per turn of the event loop (endInTurns). */
export const WRITE_SLICE_BYTES = 1024 * 1024;

/**
 * `res.end(bytes)`, a slice of WRITE_SLICE_BYTES per turn of the event loop for a large answer: one
 * write of 10 MiB to a local client is a synchronous copy into the kernel of all it takes at once
 * (on loopback the receiving side's work too), which held the event loop longest after the
 * stringify moved to the worker (profiled: `writev` under `end`). Waits for `drain` when the socket
 * is full; stops when the client goes. The same bytes, with their Content-Length.
 */
export async function endInTurns(res: ServerResponse, bytes: Buffer): Promise<void> {
  if (bytes.length <= WRITE_SLICE_BYTES || res.headersSent) return void res.end(bytes);
  res.setHeader('content-length', bytes.length);
  for (let at = 0; at < bytes.length; at += WRITE_SLICE_BYTES) {
    if (answerUnwanted(res)) return;
    const slice = bytes.subarray(at, at + WRITE_SLICE_BYTES);
    if (at + WRITE_SLICE_BYTES >= bytes.length) return void res.end(slice);
    const full = !res.write(slice);
    await new Promise<void>((go) => {
      if (!full) return void setImmediate(go);
      const done = () => {
        res.off('drain', done);
        res.off('close', done);
        go();
      };
      res.on('drain', done);
      res.on('close', done);
    });
  }
}
