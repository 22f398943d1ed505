/** The feature record: its format, keys and codecs (see format.ts). */
export * from './format.js';
export * from './codec.js';
