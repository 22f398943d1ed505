/**
 * `obj[key] = value` as an own, enumerable data property whatever the key. A JSON key `__proto__`
 * is an own property of what JSON.parse makes; assigned with `=` it is not: it sets the object's
 * prototype, and the field vanishes from the copy (and from JSON.stringify of it).
 */
export function setOwn(obj: Record<string, unknown>, key: string, value: unknown): void {
  if (key === '__proto__') Object.defineProperty(obj, key, { value, writable: true, enumerable: true, configurable: true });
  else obj[key] = value;
}
