/**
 * Admission held full by the test: the one slot in flight and `queued` places of the queue taken by
 * permits of a kind of its own (no service times, no latency target), so that the next rerank asked
 * is refused; each permit let go afterwards, a queued one once it is granted.
 */
import type { Admission } from '../../src/rerank/admission.js';

export async function whileAdmissionFull<T>(a: Admission, kind: string, fn: () => Promise<T>, queued = 1): Promise<T> {
  const hold = { cost: 1, kind };
  const held = await a.acquire(hold);
  const waiting = Array.from({ length: queued }, () => a.acquire(hold));
  try {
    return await fn();
  } finally {
    held.release();
    for (const q of waiting) (await q).release();
  }
}
