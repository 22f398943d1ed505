/**
 * `vlrerank eval` without `--url` starts its own vlrerank; when the engine behind it is down, the
 * message named that server's loopback address (`http://127.0.0.1:<port> answered 502`), an address
 * the user never gave (held-out eval probe round). Now it names the in-process vlrerank and its
 * upstream. The real CLI with the real models; the upstream is a port nothing listens on.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { MODELS, REPO_ROOT } from '../../helpers/paths.js';

const run = promisify(execFile);
const dir = mkdtempSync(join(tmpdir(), 'vlr-eval-down-'));
writeFileSync(join(dir, 'q.jsonl'), `${JSON.stringify({ _id: 'q1', text: 'a dog on a sofa' })}\n`);

describe('eval with its own server, the engine down', { timeout: 300_000 }, () => {
  it('names the in-process vlrerank and its upstream, not a loopback port; exit 69 (service unavailable, round 16c)', async () => {
    const e = (await run(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'eval', '--upstream', 'http://127.0.0.1:9', '--index', 'coco-eval-down', '--queries', join(dir, 'q.jsonl'), '--models-dir', MODELS, '--log-level', 'silent'], {
      cwd: REPO_ROOT,
      env: Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('VLRERANK_'))),
      timeout: 240_000,
    }).then(
      () => undefined,
      (x: unknown) => x,
    )) as { code: number; stderr: string };
    expect(e?.code).toBe(69);
    expect(e.stderr).toContain('the in-process vlrerank (upstream http://127.0.0.1:9) answered 502');
    expect(e.stderr).not.toMatch(/http:\/\/127\.0\.0\.1:\d+ answered/);
  });
});
