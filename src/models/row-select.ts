/**
 * Keeping only the rows of a model's output that a caller will read, where the model ran.
 *
 * NanoDet answers every image with six tensors, 1.8 MB in all (a class score row of 80 and a box
 * distribution row of 44 per anchor point, 3,549 points), of which box decoding reads the few dozen
 * rows whose best class score passes the threshold. Carried whole from the inference worker, those
 * bytes were a fresh 1.8 MB external allocation per photo on the main thread — one of the buffers
 * whose churn started the cold path's mark-compacts (DEPLOYMENT.md, cold4) — and the main thread
 * scanned 284,000 scores per photo to find them. With a `RowSelect`, the run returns for each group
 * only the rows whose largest value in `by` exceeds `threshold`, gathered, the same rows of each
 * `with` output, and the kept row numbers under `by + ROWS_SUFFIX` (int32).
 *
 * The selection keeps a superset of what the caller would keep with the same threshold (the same
 * strict `>` on the same float32 values, NaN never the maximum): the caller still applies its own
 * test to the rows it gets, so its results are those of the whole tensors, to the bit.
 *
 * `selectRows` is the main-thread path (`models.inferenceThread: main`); the inference worker
 * carries the same algorithm as plain JavaScript in session-worker-source.ts (a worker runs no
 * TypeScript). A test compares the two paths and the whole-tensor decoding on real photos.
 */

/** Which rows to keep: those of each group's `by` output (rows of `width` values) whose largest value exceeds `threshold`. */
export interface RowSelect {
  threshold: number;
  groups: ReadonlyArray<{ by: string; width: number; with: readonly string[] }>;
}

/** Suffix of the output that holds a group's kept row numbers (int32, in the whole tensor's row order). */
export const ROWS_SUFFIX = '#rows';

/** The minimal tensor shape the selection reads and writes (ort.Tensor and the worker's wire tensors both fit). */
export interface RowTensor {
  type: string;
  dims: readonly number[];
  data: unknown;
}

/** Row numbers of a [rows, width] float32 array whose largest value exceeds `threshold` (NaN is never the largest). */
export function keptRows(by: Float32Array, width: number, threshold: number): Int32Array {
  const rows = by.length / width;
  const keep = new Int32Array(rows);
  let k = 0;
  for (let r = 0; r < rows; r++) {
    let m = -Infinity;
    const o = r * width;
    for (let i = 0; i < width; i++) {
      const v = by[o + i]!;
      if (v > m) m = v;
    }
    if (m > threshold) keep[k++] = r;
  }
  return keep.slice(0, k);
}

/** `rows` of a [n, w] float32 array, gathered into a [rows.length, w] one. */
export function gatherRows(data: Float32Array, rows: Int32Array, width: number): Float32Array {
  const out = new Float32Array(rows.length * width);
  for (let j = 0; j < rows.length; j++) out.set(data.subarray(rows[j]! * width, (rows[j]! + 1) * width), j * width);
  return out;
}

/** Outputs with each group reduced to its kept rows (outputs named in no group are left as they are). */
export function selectRows<T extends RowTensor>(outputs: Record<string, T>, sel: RowSelect, make: (type: string, data: Float32Array | Int32Array, dims: number[]) => T): Record<string, T> {
  const res: Record<string, T> = { ...outputs };
  for (const g of sel.groups) {
    const by = outputs[g.by];
    if (!by || !(by.data instanceof Float32Array)) continue; // missing: the caller's decoding names it
    const rows = keptRows(by.data, g.width, sel.threshold);
    const total = by.data.length / g.width;
    for (const name of [g.by, ...g.with]) {
      const t = outputs[name];
      if (!t || !(t.data instanceof Float32Array)) continue;
      const w = t.data.length / total;
      res[name] = make('float32', gatherRows(t.data, rows, w), [rows.length, w]);
    }
    res[g.by + ROWS_SUFFIX] = make('int32', rows, [rows.length]);
  }
  return res;
}
