/**
 * How much a document's OCR text counts against its image bridge (issue 14 §4, task ocr25). A
 * screenshot of a passage *is* that passage: scored as a photo with its OCR text weighed 0.3 beside
 * the bridge's 0.4 ("a photo. web site, menu, book jacket…"), a screenshot got 0.566 where the same
 * passage as text got 0.969 (held-out probe round 22a). The more text OCR kept (its lines under the
 * recognizer's confidence floor are already dropped), the more the document is scored as a text:
 * `ocr_text` moves from its own weight to `text_text`'s, the bridge's weight to 0, linearly in the
 * share below. A photo with a few words on it (a product's label, a sign) keeps its weights.
 * Depends on the OCR text alone, so a pair scores the same from a record or computed afresh.
 */

/** Below this many letters and digits (a sign, a product's pack: a few words), OCR text weighs as configured. */
export const OCR_TEXT_FLOOR = 80;
/** From this many (a few lines of a page), the document is scored as the text it shows. */
export const OCR_TEXT_FULL = 400;

/** Letters and digits in `text` (what OCR read that a text model can use). */
export function ocrTextChars(text: string): number {
  return text.match(/[\p{L}\p{N}]/gu)?.length ?? 0;
}

/** 0 (a photo with a few words) … 1 (a page of text), by how many letters and digits OCR read. */
export function ocrTextShare(chars: number): number {
  return Math.min(1, Math.max(0, (chars - OCR_TEXT_FLOOR) / (OCR_TEXT_FULL - OCR_TEXT_FLOOR)));
}

/** `weights` for a document whose OCR text has `share`: ocr_text towards text_text's weight, the image bridge towards 0. */
export function weightsForOcrShare(weights: Readonly<Record<string, number>>, share: number): Readonly<Record<string, number>> {
  if (!(share > 0)) return weights;
  const ocr = weights.ocr_text ?? 0;
  if (!(ocr > 0)) return weights;
  const text = weights.text_text ?? 1;
  return { ...weights, ocr_text: ocr + share * (Math.max(ocr, text) - ocr), text_image: (weights.text_image ?? 0) * (1 - share) };
}
