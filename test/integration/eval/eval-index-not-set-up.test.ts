/**
 * `vlrerank eval` on an OpenSearch index that the pipeline was never set up on (no vector fields
 * mapped): OpenSearch refuses the text query's hybrid first stage with "Field 'image_text_vector'
 * is not knn_vector type", which the CLI printed as it was (held-out probe round 12c; Elasticsearch
 * answers no hits instead, and a search by photo already gets vlrerank's own message). Now the
 * message also names the commands that set the index up; since w2b the search runs the text part alone
 * there and says so (`vlrerank.first_stage: "text"`), and eval stops on that note. The real CLI with its in-process
 * vlrerank and the real models, in front of OpenSearch 2.19.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { useEngine } from '../../helpers/engines.js';
import { MODELS, REPO_ROOT } from '../../helpers/paths.js';

const run = promisify(execFile);
const dir = mkdtempSync(join(tmpdir(), 'vlr-eval-setup-'));
writeFileSync(join(dir, 'q.jsonl'), `${JSON.stringify({ _id: 'q1', text: 'a dog on a sofa' })}\n`);
const INDEX = 'coco-eval-not-set-up';
let os = '';

afterAll(async () => {
  if (os) await fetch(`${os}/${INDEX}`, { method: 'DELETE' });
});

describe('eval on an index the pipeline was never set up on', { timeout: 300_000 }, () => {
  it('OpenSearch 2.19: the engine\'s refusal and the commands that set the index up; exit 2', async () => {
    os = await useEngine('opensearch');
    await fetch(`${os}/${INDEX}`, { method: 'DELETE' });
    const put = await fetch(`${os}/${INDEX}/_doc/1?refresh=true`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ caption: 'a dog asleep on a sofa' }) });
    expect(put.status).toBe(201);
    const e = (await run(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'eval', '--upstream', os, '--index', INDEX, '--queries', join(dir, 'q.jsonl'), '--models-dir', MODELS, '--log-level', 'silent'], {
      cwd: REPO_ROOT,
      env: Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('VLRERANK_'))),
      timeout: 240_000,
    }).then(
      () => undefined,
      (x: unknown) => x,
    )) as { code: number; stderr: string };
    expect(e?.code).toBe(2);
    // the search itself now runs the text part alone there and says so (src/search/bridge-field.ts); eval stops on it
    expect(e.stderr).toContain('ran the first stage on text only');
    expect(e.stderr).toContain('[image_text_vector]');
    expect(e.stderr).toContain(`"vlrerank index setup ${INDEX} --pipeline `);
    expect(e.stderr).toContain(`"vlrerank index backfill ${INDEX}"`);
  });
});
