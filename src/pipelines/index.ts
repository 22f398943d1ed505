/** Rerank pipelines: schema, loading from `pipelines/*.yaml`, lookup by name and index, the set served now. */
export { pipelineSchema, fusionSchema, firstStageMapSchema, type Pipeline, type PipelineSpec, type PipelineInput, type Fusion, type FirstStageMap } from './schema.js';
export { loadPipelines, missingPipelinesFolder, parsePipeline, pipelinesFolderDigest, unreadPipelineFiles } from './load.js';
export { PipelineRegistry, isRemoteName } from './registry.js';
export { LivePipelines, type PipelineGeneration } from './live.js';
