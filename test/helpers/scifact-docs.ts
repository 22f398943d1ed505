/** The first N SciFact abstracts (real text from ../shared/data) as documents for proxy workloads. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DATA } from './paths.js';

export interface SciDoc {
  id: string;
  title: string;
  text: string;
  /** Line number: a stable sort key for scroll / search_after. */
  n: number;
  /** A keyword with 10 values, for terms aggregations. */
  bucket: string;
}

export function scifactDocs(limit: number): SciDoc[] {
  const lines = readFileSync(join(DATA, 'scifact-beir', 'corpus.jsonl'), 'utf8').split('\n').filter(Boolean).slice(0, limit);
  return lines.map((l, n) => {
    const d = JSON.parse(l) as { _id: string; title: string; text: string };
    return { id: d._id, title: d.title, text: d.text, n, bucket: `b${n % 10}` };
  });
}

export const SCIFACT_MAPPINGS = {
  properties: {
    title: { type: 'text', fields: { raw: { type: 'keyword', ignore_above: 256 } } },
    text: { type: 'text' },
    n: { type: 'integer' },
    bucket: { type: 'keyword' },
  },
} as const;
