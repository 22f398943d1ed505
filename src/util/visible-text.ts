/**
 * Is there anything to read in a query text? Whitespace was the old test; held-out probe round 7
 * found texts of zero-width spaces (`\u200b`), direction marks, a BOM, NUL or combining marks
 * alone taken for a query — each embeds as an empty one, so every document got the scores of
 * nothing, with a 200, where a text of spaces is refused. Stops at the first visible character
 * (a 31 MiB query text is not walked, nor copied as `trim()` would).
 */
const VISIBLE = /[^\s\p{Cc}\p{Cf}\p{M}]/u;

/** Does `text` hold a character that is not whitespace, a control, a format character (zero-width, direction, BOM) or a combining mark? */
export function hasVisibleText(text: string): boolean {
  return VISIBLE.test(text);
}
