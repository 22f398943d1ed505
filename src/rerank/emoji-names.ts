/**
 * Emoji read as their Unicode short names before the text model (held-out probe round 28b): the
 * text model's vocabulary (bge-small's) has no emoji, so a title `🍌🍌🍌` was `[UNK] [UNK] [UNK]` to
 * it — the banana with that title 0.173 for "banana" against 0.684 for its photo alone. Each RGI
 * emoji (a ZWJ sequence, a flag, a keycap, a skin tone: one emoji) is written as its name from the
 * Unicode data (`unicode-emoji-json`, unicode.org's emoji-test.txt: `🍌` → `banana`, `🇸🇪` → `flag
 * Sweden`), a skin tone's by its base emoji's, spaced from the words beside it; an emoji the data
 * does not know is left as written. A text without emoji is returned as it was (the same string),
 * so its vectors and its record key do not change; a text with emoji reads otherwise, so a record
 * or a cached vector of the text read the old way is not served for it. A function of the text alone.
 */
import { createRequire } from 'node:module';

/** Any character an emoji can start with: texts without one are returned at once. */
const MAYBE = /[\p{Extended_Pictographic}\p{Regional_Indicator}\u20e3]/u;
/** One RGI emoji (the `v` flag's property of strings; built at run time, as the compile target predates it). */
const EMOJI = new RegExp('\\p{RGI_Emoji}', 'gv');
const SKIN_TONE = /[\u{1f3fb}-\u{1f3ff}]/gu;
const VS16 = /\ufe0f/g;

let names: Map<string, string> | undefined;

/** Name of each emoji of the data, by the emoji and by its form without variation selectors. */
function table(): Map<string, string> {
  if (names) return names;
  const data = createRequire(import.meta.url)('unicode-emoji-json/data-by-emoji.json') as Record<string, { name: string }>;
  names = new Map();
  for (const [emoji, { name }] of Object.entries(data)) {
    names.set(emoji, name);
    const bare = emoji.replace(VS16, '');
    if (!names.has(bare)) names.set(bare, name);
  }
  return names;
}

/** The name of one emoji, if the data knows it (or its base, without a skin tone). */
function nameOf(emoji: string): string | undefined {
  const t = table();
  return t.get(emoji) ?? t.get(emoji.replace(VS16, '')) ?? t.get(emoji.replace(SKIN_TONE, '')) ?? t.get(emoji.replace(SKIN_TONE, '').replace(VS16, ''));
}

/** `text` with each emoji written as its short name; the same string when it has none the data knows. */
export function readEmoji(text: string): string {
  if (!MAYBE.test(text)) return text;
  let changed = false;
  /** Where the last emoji read ended (it was spaced from what follows it). */
  let spacedTo = -1;
  const out = text.replace(EMOJI, (emoji: string, at: number) => {
    const name = nameOf(emoji);
    if (name === undefined) return emoji;
    changed = true;
    const before = at > 0 && at !== spacedTo && !/\s/.test(text[at - 1]!) ? ' ' : '';
    const after = at + emoji.length < text.length && !/\s/.test(text[at + emoji.length]!) ? ' ' : '';
    spacedTo = at + emoji.length;
    return `${before}${name}${after}`;
  });
  return changed ? out : text;
}
