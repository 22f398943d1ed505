/** `vlrerank index …` run as a user runs it (node --import tsx src/cli/main.ts) with the knowledge-base pipeline (or `o.pipeline` of `o.pipelinesDir`), real models, against `upstream`. */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { DATA, MODELS, REPO_ROOT } from './paths.js';

const run = promisify(execFile);

export async function indexCli(upstream: string, args: string[], o: { pipeline?: string; pipelinesDir?: string } = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'index', ...args, '--pipeline', o.pipeline ?? 'knowledge-base'], {
      cwd: REPO_ROOT,
      env: { ...process.env, VLRERANK_UPSTREAM: upstream, VLRERANK_MODELS_DIR: MODELS, VLRERANK_MEDIA_ROOTS: DATA, VLRERANK_PIPELINES_DIR: o.pipelinesDir ?? join(REPO_ROOT, 'pipelines'), VLRERANK_LOG_LEVEL: 'silent' },
      timeout: 600_000,
    });
    return { code: 0, stdout, stderr };
  } catch (e) {
    const err = e as { code: number; stdout: string; stderr: string };
    return { code: err.code, stdout: err.stdout, stderr: err.stderr };
  }
}
