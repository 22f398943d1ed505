/** Grocery Store Dataset helpers: the 81-product catalog and the 405 in-store query photos. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DATA } from './paths.js';
import { jsonl } from './reranker.js';

export interface Product {
  class_id: number;
  /** The product's name in the dataset ("Oatly-Oat-Milk"), a shopper's words once de-hyphenated. */
  class_name: string;
  coarse_class_id: number;
  title: string;
  description: string | null;
  iconic_image: string;
}

export const catalog = (): Product[] => jsonl<Product>('grocery-store-products/catalog.jsonl');
export const productImage = (p: Product) => `grocery-store-products/${p.iconic_image}`;
export const productText = (p: Product) => `${p.title}. ${p.description ?? ''}`.trim();

export function queryPhotos(): Array<{ image: string; classId: number; coarseId: number }> {
  return readFileSync(join(DATA, 'grocery-store-products/queries.tsv'), 'utf8')
    .trim()
    .split('\n')
    .slice(1)
    .map((l) => l.split('\t'))
    .map(([image, cls, , coarse]) => ({ image: `grocery-store-products/${image}`, classId: Number(cls), coarseId: Number(coarse) }));
}
