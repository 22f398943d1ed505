/**
 * `_bulk` as a stream: the body is split into lines as it arrives (split2, never the whole body),
 * action lines are parsed, and the source of each index/create/update action that targets an index
 * whose pipeline ingests vectors gets them added; every other line is forwarded byte for byte.
 * Order is kept while up to `concurrency` documents are embedded at once. Failures are recorded by
 * item position so the caller can merge them into the engine's bulk response.
 */
import { Readable } from 'node:stream';
import split2 from 'split2';
import type { PipelineRegistry } from '../pipelines/index.js';
import type { Embedder } from '../search/scorer.js';
import { addVectors, type VectorOutcome } from './vectors.js';

export interface BulkTransformOptions {
  pathIndex?: string;
  registry: PipelineRegistry;
  embedder?: Embedder;
  concurrency: number;
  signal?: AbortSignal;
}

export interface BulkReport {
  /** Item position → why its vectors are missing. */
  failures: Map<number, NonNullable<VectorOutcome['error']>>;
  /** Documents that got vectors. */
  vectorized: number;
}

const ACTIONS = new Set(['index', 'create', 'update', 'delete']);

async function transformLine(source: string, op: string, pipelineIndex: string | undefined, o: BulkTransformOptions, item: number, report: BulkReport): Promise<string> {
  const pipeline = o.registry.ingestFor(pipelineIndex);
  if (!pipeline) return source;
  let doc: Record<string, unknown>;
  try {
    doc = JSON.parse(source) as Record<string, unknown>;
  } catch {
    return source; // the engine reports the bad line itself
  }
  if (!doc || typeof doc !== 'object' || Array.isArray(doc)) return source;
  const targets: Array<Record<string, unknown>> = [];
  if (op === 'update') {
    for (const k of ['doc', 'upsert']) {
      const t = doc[k];
      if (t && typeof t === 'object' && !Array.isArray(t)) targets.push(t as Record<string, unknown>);
    }
  } else targets.push(doc);
  let changed = false;
  for (const t of targets) {
    const r = await addVectors(t, pipeline, o.embedder, o.signal);
    if (r.error) report.failures.set(item, r.error);
    if (r.added.length) {
      changed = true;
      report.vectorized++;
    }
  }
  return changed ? JSON.stringify(doc) : source;
}

/** The transformed body as a stream of newline-terminated lines. */
export function transformBulk(input: Readable, o: BulkTransformOptions, report: BulkReport): Readable {
  async function* run(): AsyncGenerator<string> {
    const pending: Array<Promise<string>> = [];
    let item = -1;
    let expectSource: { op: string; index?: string; item: number } | undefined;
    let broken = false; // after a line we cannot read, forward the rest untouched
    for await (const line of input.pipe(split2('\n')) as AsyncIterable<string>) {
      if (broken) {
        pending.push(Promise.resolve(line));
      } else if (expectSource) {
        const e = expectSource;
        expectSource = undefined;
        pending.push(transformLine(line, e.op, e.index, o, e.item, report));
      } else if (line.trim() === '') {
        pending.push(Promise.resolve(line));
      } else {
        pending.push(Promise.resolve(line));
        let action: Record<string, { _index?: unknown } | undefined> | undefined;
        try {
          action = JSON.parse(line) as typeof action;
        } catch {
          broken = true;
        }
        const op = action && typeof action === 'object' ? Object.keys(action)[0] : undefined;
        if (!broken && op && ACTIONS.has(op)) {
          item++;
          if (op !== 'delete') {
            const meta = action![op];
            const idx = meta && typeof meta._index === 'string' ? meta._index : o.pathIndex;
            expectSource = { op, index: idx, item };
          }
        } else broken = true;
      }
      while (pending.length > o.concurrency) yield (await pending.shift()!) + '\n';
    }
    while (pending.length) yield (await pending.shift()!) + '\n';
  }
  return Readable.from(run(), { objectMode: false });
}

/** Merge vector failures into the engine's bulk response (`items[i].<op>.vlrerank`). */
export function mergeBulkResponse(body: Record<string, unknown>, report: BulkReport): Record<string, unknown> {
  const items = body.items as Array<Record<string, Record<string, unknown>>> | undefined;
  if (Array.isArray(items)) {
    for (const [i, err] of report.failures) {
      const it = items[i];
      const op = it ? Object.keys(it)[0] : undefined;
      if (op) it![op] = { ...it![op], vlrerank: { vectors: false, error: err } };
    }
  }
  return { ...body, vlrerank: { documents_with_vectors: report.vectorized, documents_without_vectors: report.failures.size } };
}
