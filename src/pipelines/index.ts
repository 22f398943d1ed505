/** Rerank pipelines: schema, loading from `pipelines/*.yaml`, lookup by name and index. */
export { pipelineSchema, fusionSchema, type Pipeline, type PipelineSpec, type PipelineInput, type Fusion } from './schema.js';
export { loadPipelines, parsePipeline } from './load.js';
export { PipelineRegistry } from './registry.js';
