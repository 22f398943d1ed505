/**
 * The vlrerank library: `new Reranker({modelsDir}).process({query, documents})` and its types.
 */
export { Reranker } from './rerank/reranker.js';
export type { RerankerOptions, ProcessOptions } from './rerank/options.js';
export type { RerankerPorts } from './rerank/ports.js';
export type {
  RerankInput,
  DocumentInput,
  RerankOutput,
  RerankResult,
  Explanation,
  SignalExplanation,
  RerankTimings,
  RerankUsage,
  Modality,
} from './rerank/types.js';
export { validateRerankInput } from './rerank/types.js';
export type { RecordDocument, RecordOptions, RecordsOutput } from './rerank/records/build.js';
export { RECORD_SCHEMA_VERSION, parseRecord, packRecord, unpackRecord, type FeatureRecord } from './features/record/index.js';
export { DEFAULT_WEIGHTS, fuse } from './rerank/fusion.js';
export { Calibrator, DEFAULT_CALIBRATION, fitLogistic, type CalibrationTable, type LogisticFitOptions, type LogisticParams } from './rerank/calibration.js';
export { RemoteScorer, type RemoteScorerOptions } from './rerank/backends/remote.js';
export { VlrerankError, ERROR_CODES, type ErrorCode } from './errors.js';
