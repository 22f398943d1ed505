/** Where a key or item of a parsed YAML document starts, for messages that name a file's line. */
import { isMap, isSeq, type Document, type LineCounter } from 'yaml';

/** The line (1-based, as text) of the key or item at `path`, if the document holds it. */
export function yamlLineOf(doc: Document, lines: LineCounter, path: ReadonlyArray<PropertyKey>): string | undefined {
  const parent = path.length > 1 ? doc.getIn(path.slice(0, -1), true) : doc.contents;
  const last = path[path.length - 1];
  if (isSeq(parent) && typeof last === 'number') {
    const at = (parent.items[last] as { range?: [number, number, number] } | undefined)?.range?.[0];
    return at === undefined ? undefined : String(lines.linePos(at).line);
  }
  if (!isMap(parent)) return undefined;
  const pair = parent.items.find((it) => (it.key as { value?: unknown } | null)?.value === last);
  const at = (pair?.key as { range?: [number, number, number] } | undefined)?.range?.[0];
  return at === undefined ? undefined : String(lines.linePos(at).line);
}
