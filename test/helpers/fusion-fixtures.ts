/**
 * Fixtures of the fusion tests (issue 14 §2): the shipped coco pipeline as `fusion-it`, covering
 * `fusion-it-*` indices, with a `blend` first-stage fusion (a logistic map of the engine's score),
 * in front of the real Elasticsearch 8.19, and the first `limit` COCO-mini photos indexed through it.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ensureCoco } from './search-eval.js';
import { pipelinesDir, startSearchProxy, type SearchProxy } from './search-fixtures.js';
import { REPO_ROOT } from './paths.js';

export const FUSION_IT_BLEND = { weight: 0.3, a: 0.4, b: -2 };

export function fusionPipelinesDir(): string {
  const { weight, a, b } = FUSION_IT_BLEND;
  const yaml = readFileSync(join(REPO_ROOT, 'pipelines', 'coco.yaml'), 'utf8')
    .replace(/^name: coco$/m, 'name: fusion-it')
    .replace(/^index_patterns: .*$/m, 'index_patterns: [fusion-it-*]')
    .replace(/^budget_ms: \d+$/m, 'budget_ms: 300000')
    .replace(/^ {2}fusion: \{ method: .*$/m, `  fusion: { method: blend, weight: ${weight}, map: { logistic: { a: ${a}, b: ${b} } } }`);
  if (!yaml.includes('method: blend')) throw new Error('coco.yaml has no first_stage.fusion line to replace');
  return pipelinesDir({ 'fusion-it.yaml': yaml });
}

export async function fusionProxy(index: string, limit: number): Promise<SearchProxy> {
  const p = await startSearchProxy('elasticsearch', { pipelinesDir: fusionPipelinesDir() });
  await ensureCoco(p, 'elasticsearch', index, limit);
  return p;
}
