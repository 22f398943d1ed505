import { parsePipeline, PipelineRegistry } from '../../../src/pipelines/index.js';

/** The `products` pipeline as written in YAML (tests derive variants of it). */
export const productsSpec = {
  index_patterns: ['products', 'shop-*'],
  fields: { text: ['title', 'description'], image: ['image.url'] },
  window: { default: 20, max: 100 },
  vectors: { ingest: true, image: { field: 'img_vec', dims: 4 }, bridge: { field: 'txt_vec', dims: 3 } },
  first_stage: { text_query: 'hybrid', match_fields: ['title^2', 'description'] },
};
export const products = parsePipeline(productsSpec, 'pipelines/products.yaml');
export const kb = parsePipeline({ index_patterns: ['kb'], default: true, fields: { text: ['body'] } }, 'pipelines/kb.yaml');
export const registry = new PipelineRegistry([products, kb]);
