/**
 * The `vlrerank models` command as a user runs it (node --import tsx src/cli/main.ts): list, pull from a mirror
 * into an empty models dir, verify (exit 0 when good, 1 with the fixing command when not).
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MODELS, REPO_ROOT } from '../helpers/paths.js';

const run = promisify(execFile);
let dir: string;

async function cli(args: string[], env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'models', ...args], {
      cwd: REPO_ROOT,
      env: { ...process.env, VLRERANK_MODEL_MIRRORS: '', ...env },
    });
    return { code: 0, stdout, stderr };
  } catch (e) {
    const err = e as { code: number; stdout: string; stderr: string };
    return { code: err.code, stdout: err.stdout, stderr: err.stderr };
  }
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'vlr-cli-models-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('vlrerank models', () => {
  it('list --json shows every manifest and which files are on disk', async () => {
    const r = await cli(['list', '--json'], { VLRERANK_MODELS_DIR: MODELS });
    expect(r.code).toBe(0);
    const rows = JSON.parse(r.stdout) as { id: string; files: string; forRanking: boolean }[];
    expect(rows.find((x) => x.id === 'bge-small-en-v1.5')).toMatchObject({ files: '2/2', forRanking: true });
    expect(rows.find((x) => x.id === 'clip-architecture-fixture')).toMatchObject({ forRanking: false });
    expect(rows.find((x) => x.id === 'clip-vit-base-patch32')!.files).toBe('0/6');
  });

  it('verify of a missing model exits 1 and names the command that fixes it; pull from a mirror fixes it', async () => {
    const bad = await cli(['verify', 'nanodet-g-coco'], { VLRERANK_MODELS_DIR: dir });
    expect(bad.code).toBe(1);
    expect(bad.stdout).toMatch(/model\.onnx\s+MISSING .*fix: vlrerank models pull nanodet-g-coco/);
    const pull = await cli(['pull', 'nanodet-g-coco', '--mirror', MODELS], { VLRERANK_MODELS_DIR: dir });
    expect(pull.code).toBe(0);
    expect(pull.stdout).toMatch(/model\.onnx\s+mirror\s+ok \(sha256\)/);
    const good = await cli(['verify', 'nanodet-g-coco'], { VLRERANK_MODELS_DIR: dir });
    expect(good.code).toBe(0);
    expect(good.stdout).not.toMatch(/MISSING|CORRUPT/);
  });

  it('pull of an unknown id is a clear error (exit 2)', async () => {
    const r = await cli(['pull', 'no-such-model'], { VLRERANK_MODELS_DIR: dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/no model manifest with id \[no-such-model\]/);
  });
});
