/** Probe helper (rounds 28b, 29b): the grocery pipeline copied for a probe's own indices — text [title, tags], title matched, a 120 s budget. */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseConfig } from '../../src/config/load.js';
import { EngineClient } from '../../src/engine/client.js';
import { setupIndex } from '../../src/engine/mapping.js';
import { loadPipelines } from '../../src/pipelines/load.js';
import { UpstreamPool } from '../../src/proxy/pool.js';
import { REPO_ROOT } from '../../test/helpers/paths.js';

export const groceryBase = (): string =>
  readFileSync(join(REPO_ROOT, 'pipelines', 'grocery.yaml'), 'utf8')
    .replace(/^budget_ms: .*$/m, 'budget_ms: 120000')
    .replace(/^  text: \[title, description\]$/m, '  text: [title, tags]')
    .replace(/^  match_fields: .*$/m, '  match_fields: [title]');

/** Write `base` as pipeline `name` over `pattern` into `dir`, `extra` YAML appended. */
export const writePipe = (dir: string, base: string, name: string, pattern: string, extra: string): void =>
  writeFileSync(join(dir, `${name}.yaml`), `${base.replace(/^name: .*$/m, `name: ${name}`).replace(/^index_patterns: .*$/m, `index_patterns: [${pattern}]`)}\n${extra}\n`);

/** `vlrerank index setup` of `index` for the pipeline `name` of `pipesDir`, on the engine at `engine`. */
export async function indexSetup(engine: string, pipesDir: string, name: string, index: string): Promise<void> {
  const pipeline = loadPipelines(pipesDir).find((p) => p.name === name)!;
  const pool = new UpstreamPool(parseConfig({ upstream: { urls: [engine] } }).upstream);
  try {
    await setupIndex(new EngineClient(pool), pipeline, index);
  } finally {
    await pool.close();
  }
}
