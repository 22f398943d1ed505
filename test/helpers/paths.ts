/**
 * Where the shared test data and models live, relative to the repository root (never absolute
 * /work paths): the repo sits next to `shared/`, so CI clones anywhere work the same way.
 */
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const SHARED = resolve(REPO_ROOT, '../shared');
export const DATA = resolve(SHARED, 'data');
export const MODELS = resolve(SHARED, 'models');
