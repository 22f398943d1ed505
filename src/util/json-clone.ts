import { setOwn } from './own-key.js';

/**
 * A deep copy of a parsed JSON value (plain objects, arrays, strings, numbers, booleans, null)
 * that copies the containers and shares the strings. Strings are immutable, so sharing them is
 * safe, and it keeps a copy's cost in proportion to the number of values, not their characters:
 * structuredClone copies every string, and a 31 MiB rerank query text in a search body cost
 * ~300 ms of event loop per clone on a loaded machine (issue 13). Iterative: a body nests as deep
 * as server.maxJsonDepth allows. Never for anything but JSON.parse output.
 */
export function cloneJson<T>(value: T): T {
  if (value === null || typeof value !== 'object') return value;
  const root: unknown = Array.isArray(value) ? new Array(value.length) : {};
  const stack: Array<[Record<string, unknown> | unknown[], Record<string, unknown> | unknown[]]> = [[value as Record<string, unknown>, root as Record<string, unknown>]];
  while (stack.length) {
    const [from, to] = stack.pop()!;
    if (Array.isArray(from)) {
      const out = to as unknown[];
      for (let i = 0; i < from.length; i++) out[i] = copyOne(from[i], stack);
    } else {
      const out = to as Record<string, unknown>;
      for (const k of Object.keys(from)) {
        const v = copyOne(from[k], stack);
        // a JSON key "__proto__" stays an own data property, as JSON.parse made it
        setOwn(out, k, v);
      }
    }
  }
  return root as T;
}

function copyOne(v: unknown, stack: Array<[Record<string, unknown> | unknown[], Record<string, unknown> | unknown[]]>): unknown {
  if (v === null || typeof v !== 'object') return v;
  const copy = Array.isArray(v) ? new Array<unknown>(v.length) : {};
  stack.push([v as Record<string, unknown>, copy as Record<string, unknown>]);
  return copy;
}
