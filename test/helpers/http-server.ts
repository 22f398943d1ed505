/**
 * A vlrerank server for the HTTP-edge tests (test/integration/http/): in front of a real engine,
 * the real reranker over ../shared/models without warm-up (these tests are about the edge, and a
 * model loads only if a request gets that far), a pipelines folder of the caller's, and any
 * `server.*` overrides; optionally a logger of the test's own (to read what was logged).
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfig } from '../../src/config/load.js';
import type { Logger } from '../../src/observability/logger.js';
import type { Scorer } from '../../src/search/hit-scorer.js';
import { startServer, type RunningServer } from '../../src/server/start.js';
import { DATA, MODELS } from './paths.js';

/** A pipelines folder holding exactly these YAML documents (file name → text). */
export function onlyPipelines(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'vlr-http-pipelines-'));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}

export interface EdgeServerOptions {
  upstream: string;
  /** Other `upstream.*` settings (e.g. `keepAliveTimeoutMs`). */
  upstreamSettings?: Record<string, unknown>;
  pipelinesDir?: string;
  /** Other `pipelines.*` settings (e.g. `mappingCacheMs`). */
  pipelines?: Record<string, unknown>;
  server?: Record<string, unknown>;
  log?: Record<string, unknown>;
  logger?: Logger;
  scorer?: Scorer;
}

export function startEdgeServer(o: EdgeServerOptions): Promise<RunningServer> {
  const config = parseConfig({
    server: { host: '127.0.0.1', port: 0, ui: false, ...o.server },
    upstream: { urls: [o.upstream], ...o.upstreamSettings },
    log: { level: 'silent', access: false, ...o.log },
    models: { dir: MODELS, intraOpThreads: 1 },
    media: { roots: [DATA] },
    // no `_bulk` time budget unless a test asks (as search-fixtures.ts): loading must not depend on the machine's speed
    pipelines: { dir: o.pipelinesDir ?? onlyPipelines({}), bulkBudgetMs: 0, ...o.pipelines },
    rerank: { warmup: false },
  });
  return startServer(config, { ...(o.logger ? { logger: o.logger } : {}), ...(o.scorer ? { scorer: o.scorer } : {}) });
}
