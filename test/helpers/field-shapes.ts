/**
 * The documents and index shapes of the tests of pipeline fields that are not keys of `_source`
 * (fix20c ingest, fix20d backfill and write-back): the same two COCO documents under plain fields,
 * field aliases, multi-fields and `copy_to` targets, each shape naming the pipeline's fields there.
 */
import { join } from 'node:path';
import { DATA } from './paths.js';

export const COCO = join(DATA, 'coco-captions-mini');
export const DOCS = {
  g: { title: 'a giraffe eating leaves from a tree', img: 'images/val2017/000000101780.jpg' },
  p: { title: 'a pizza with cheese and broccoli', img: 'images/val2017/000000092660.jpg' },
};
export type FieldShape = { properties: Record<string, unknown>; doc: (d: (typeof DOCS)['g']) => Record<string, unknown>; text: string; image: string };
const kw = { type: 'keyword' };

/**
 * Each index: its own fields, how a document is written to it, and the pipeline's fields there.
 * `storedCopyTarget`: the `copy_to` photo target is `store: true` (OpenSearch 2.19's fields API
 * shows no `copy_to` target, so its search reads one only as a stored field).
 */
export function fieldShapes(o: { storedCopyTarget?: boolean } = {}): Record<string, FieldShape> {
  return {
    plain: { properties: { title: { type: 'text' }, img: kw }, doc: (d) => d, text: 'title', image: 'img' },
    alias: { properties: { t: { type: 'text' }, i: kw, name: { type: 'alias', path: 't' }, photo: { type: 'alias', path: 'i' } }, doc: (d) => ({ t: d.title, i: d.img }), text: 'name', image: 'photo' },
    multi: { properties: { title: { type: 'text', fields: { keyword: kw } }, img: { type: 'text', fields: { raw: kw } } }, doc: (d) => d, text: 'title.keyword', image: 'img.raw' },
    copy: {
      properties: { name: { type: 'text', copy_to: 'all_text' }, all_text: { type: 'text', store: true }, media: { properties: { img: { type: 'keyword', copy_to: 'pic' } } }, pic: o.storedCopyTarget ? { ...kw, store: true } : kw },
      doc: (d) => ({ name: d.title, media: { img: d.img } }),
      text: 'all_text',
      image: 'pic',
    },
  };
}
