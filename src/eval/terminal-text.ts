/**
 * Text `vlrerank eval` prints to a terminal (the summary, the fit's figures, notes, errors) holds ids
 * and texts from the user's files and from the index: printed as they were, an id holding `\x1b[2J`
 * cleared the screen, a `\r` rewrote the line, U+202E reversed what followed (held-out probe round
 * 14c). Every C0 and C1 control character (tab and newline included: a line printed is one line),
 * DEL and the bidi embeddings, overrides and isolates are written as escapes (`\x1b`, `\u202e`).
 * Not for JSON (JSON escapes them itself) nor the HTML report (its own escaping). Pure.
 */
// eslint-disable-next-line no-control-regex
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g;

const escape = (ch: string) => {
  const c = ch.charCodeAt(0);
  return c < 0x100 ? `\\x${c.toString(16).padStart(2, '0')}` : `\\u${c.toString(16).padStart(4, '0')}`;
};

/** One line, its control characters escaped. */
export const termSafe = (s: string): string => s.replace(UNSAFE, escape);

/** Lines joined by newlines, each line's own control characters (newlines inside an id) escaped. */
export const termLines = (lines: readonly string[]): string => lines.map(termSafe).join('\n');
