/** Held-out probe round 26c: the Grocery catalog rows the probes type and load. */
import { readFileSync } from 'node:fs';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const DATA = process.env.VLRERANK_DATA_DIR ?? resolve(dirname(fileURLToPath(import.meta.url)), '../../../shared/data');
export const root = join(DATA, 'grocery-store-products');
export const rows = readFileSync(join(root, 'catalog.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { title: string; description: string; iconic_image: string; class_name: string });
