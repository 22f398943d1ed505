/**
 * text ↔ text: cosine of bge-small-en-v1.5 vectors, the query with bge's query prefix, documents as
 * passages. The vectors come from the text-vector cache (features/text-vectors.ts), so a document
 * seen in an earlier request costs no forward pass; the same signal serves OCR text (`ocr_text`).
 */
import { dot } from '../../util/vector.js';

/** The raw text↔text signal: cosine of two unit vectors. */
export function textTextRaw(query: Float32Array, doc: Float32Array): number {
  return dot(query, doc);
}
