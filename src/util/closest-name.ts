/**
 * The known name closest to a misspelt one, for "did you mean" in messages naming a key (`modelDir`
 * → `modelsDir`). The distance is `leven`'s; case is ignored. Never used to decide anything but a hint.
 */
import { closestMatch } from 'leven';

/** The name of `known` closest to `name` (case ignored) within `maxDistance` edits (default 3); the first of equals wins. */
export function closestName(name: string, known: Iterable<string>, maxDistance = 3): string | undefined {
  const names = [...known];
  const lower = names.map((k) => k.toLowerCase());
  const near = closestMatch(name.toLowerCase(), lower, { maxDistance });
  return near === undefined ? undefined : names[lower.indexOf(near)];
}
