/**
 * A query photo or clip that does not exist is named before the run (held-out eval probe round): it
 * stopped `vlrerank eval --api` at that query, after the models had loaded ("[query] media file …
 * does not exist under the media roots"), and in proxy mode the search of that query failed mid-run.
 * The real CLI; the models folder given does not exist, so the check must come before any model is
 * read. With `--url` the proxy may be on another machine with paths of its own: not checked.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { evalExit } from '../../helpers/eval-fixtures.js';
import { DATA, MODELS } from '../../helpers/paths.js';

const dir = mkdtempSync(join(tmpdir(), 'vlr-eval-qmedia-'));
const photo = join(DATA, 'coco-captions-mini/images/val2017/000000000139.jpg');
writeFileSync(join(dir, 'docs.jsonl'), `${JSON.stringify({ _id: 'd1', text: 'a living room', image: photo })}\n`);
writeFileSync(join(dir, 'q.jsonl'), [{ _id: 'ok', image: photo, relevant: ['d1'] }, { _id: 'gone', image: 'photos/missing.jpg', relevant: ['d1'] }].map((x) => JSON.stringify(x)).join('\n'));

const cli = (...args: string[]) => evalExit([...args, '--models-dir', join(dir, 'no-models'), '--log-level', 'silent']);

describe('eval: a missing query photo or clip is named before the run', { timeout: 300_000 }, () => {
  it('--api: the query, the kind and the resolved path; exit 2, no stack', async () => {
    const r = await cli('--api', '--collection', join(dir, 'docs.jsonl'), '--queries', join(dir, 'q.jsonl'));
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`query "gone": image ${join(dir, 'photos/missing.jpg')} does not exist`);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });
  it('a folder named as a clip is not a file', async () => {
    writeFileSync(join(dir, 'q2.jsonl'), JSON.stringify({ _id: 'dir', video: dir, relevant: ['d1'] }));
    const r = await cli('--api', '--collection', join(dir, 'docs.jsonl'), '--queries', join(dir, 'q2.jsonl'));
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`query "dir": video ${dir} is not a file`);
  });
});

describe('eval --api: documents ranked without their media are named, not only counted', { timeout: 300_000 }, () => {
  it('the note names the query, the document and why (real models)', async () => {
    writeFileSync(join(dir, 'docs-gone.jsonl'), [{ _id: 'd1', text: 'a living room', image: photo }, { _id: 'd2', text: 'a kitchen', image: join(dir, 'gone.jpg') }].map((x) => JSON.stringify(x)).join('\n'));
    writeFileSync(join(dir, 'q3.jsonl'), JSON.stringify({ _id: 'room', text: 'a living room with a television', relevant: ['d1'] }));
    const json = join(dir, 'gone.json');
    const r = await evalExit(['--api', '--collection', join(dir, 'docs-gone.jsonl'), '--queries', join(dir, 'q3.jsonl'), '--models-dir', MODELS, '--log-level', 'silent', '--json', json], 300_000);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('media errors 1');
    expect(r.stdout).toMatch(/1 hits in 1 queries were ranked without their media \(it could not be read\); first, in query "room": d2: VLR_\w+: .*gone\.jpg/);
  });
});
