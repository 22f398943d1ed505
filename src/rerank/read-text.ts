/**
 * A text as the text model reads it — the one rule for reranking, records (their content key) and
 * kNN query vectors: emoji by their names (emoji-names.ts), and in a document, runs of a repeated
 * word or phrase written once (repeats.ts). The same string when neither applies, so such a text's
 * vectors and record key do not change.
 */
import { readEmoji } from './emoji-names.js';
import { collapseRepeats } from './repeats.js';

export const documentText = (text: string): string => collapseRepeats(readEmoji(text));
export const queryText = readEmoji;
