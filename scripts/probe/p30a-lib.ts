/** Held-out probe round 30a: the two proxies and their engines; the call and the grocery docs are round 29d's. */
export { bulkBody, call, groceryDocs, strip } from './p29d-lib.js';

export const SIDES = {
  es8: { proxy: 'http://127.0.0.1:19780', engine: 'http://127.0.0.1:19200' },
  os2: { proxy: 'http://127.0.0.1:19781', engine: 'http://127.0.0.1:19201' },
  es9: { proxy: 'http://127.0.0.1:19782', engine: 'http://127.0.0.1:19203' },
} as const;
export type Side = keyof typeof SIDES;
