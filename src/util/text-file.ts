/**
 * A text file a command reads (`vlrerank rerank --docs`, `vlrerank eval`'s queries, judgements,
 * collections and runs), decoded as UTF-8 — or refused, naming why. Read with
 * `readFileSync(f, 'utf8')`, a UTF-16 file (what Windows' PowerShell 5 writes with `>` and
 * `Out-File`, Notepad's "Unicode") became text of NULs and U+FFFD, ranked with exit 0; a Latin-1
 * file lost each accented letter to U+FFFD silently (held-out probe round 15f). A UTF-8 BOM is
 * dropped; CRLF is left to the line splitters (they trim).
 */
import { vlrError } from '../errors.js';

const UTF8 = new TextDecoder('utf-8', { fatal: true });

/** The line (1-based) holding byte `at`. */
function lineOf(bytes: Uint8Array, at: number): number {
  let n = 1;
  for (let i = 0; i < at; i++) if (bytes[i] === 0x0a) n++;
  return n;
}

/** `bytes` as UTF-8 text (BOM dropped); UTF-16 or bytes that are not UTF-8 → VLR_BAD_REQUEST naming `what`. */
export function utf8FileText(bytes: Uint8Array, what: string): string {
  const utf16 =
    (bytes[0] === 0xff && bytes[1] === 0xfe) || (bytes[0] === 0xfe && bytes[1] === 0xff)
      ? `byte-order mark ${bytes[0] === 0xff ? 'FF FE' : 'FE FF'}`
      : // no mark: ASCII in UTF-16 has a NUL in every other byte of its first characters
        bytes.length >= 4 && (bytes[1] === 0 || bytes[0] === 0) && bytes.subarray(0, 64).filter((b) => b === 0).length * 3 >= Math.min(bytes.length, 64)
        ? 'NUL bytes between its characters'
        : '';
  if (utf16) throw vlrError('VLR_BAD_REQUEST', `${what} is UTF-16 (${utf16}), not UTF-8: save it as UTF-8 (iconv -f UTF-16 -t UTF-8, or PowerShell's Out-File -Encoding utf8)`);
  try {
    return UTF8.decode(bytes); // drops a leading UTF-8 BOM
  } catch {
    // where: the first byte the decoder cannot take (a valid prefix decodes)
    let lo = 0;
    let hi = bytes.length;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      try {
        new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(0, mid), { stream: true });
        lo = mid;
      } catch {
        hi = mid - 1;
      }
    }
    // the longest prefix may end in a sequence the next byte did not complete: that lead byte is the one to name
    let at = lo;
    let k = lo - 1;
    while (k >= 0 && k >= lo - 3 && (bytes[k]! & 0xc0) === 0x80) k--;
    const lead = bytes[k] ?? 0;
    if (k >= 0 && lead >= 0xc0 && lo - k < (lead >= 0xf0 ? 4 : lead >= 0xe0 ? 3 : 2)) at = k;
    throw vlrError('VLR_BAD_REQUEST', `${what} is not UTF-8 (line ${lineOf(bytes, at)}, byte ${at + 1}: 0x${bytes[at]?.toString(16).padStart(2, '0')}): save it as UTF-8 (from Latin-1: iconv -f LATIN1 -t UTF-8)`);
  }
}
