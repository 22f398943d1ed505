/**
 * Text files as users save them, read by the real CLI (held-out probe round 15f): a UTF-16 file
 * (PowerShell 5's `>`, Notepad's "Unicode") and a Latin-1 file were read as NULs and U+FFFD and
 * ranked with exit 0 — now exit 2 naming the file and the fix; a UTF-8 file with a BOM and CRLF
 * ranks as without; a document's ANSI escape or U+202E printed in the table was obeyed by the
 * terminal (colours, reversed text) — now shown escaped. Child processes, real text model.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { MODELS, REPO_ROOT } from '../helpers/paths.js';

const run = promisify(execFile);
const dir = mkdtempSync(join(tmpdir(), 'vlr-cli-text-'));
const docs = ['{"text":"crème brûlée café"}', '"red \\u001b[31mALERT\\u001b[0m done"', '"bidi \\u202eevil\\u202c text"', 'plain line'].join('\n');
writeFileSync(join(dir, 'utf8.jsonl'), `${docs}\n`);
writeFileSync(join(dir, 'bom-crlf.jsonl'), Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(`${docs.replace(/\n/g, '\r\n')}\r\n`)]));
writeFileSync(join(dir, 'utf16.jsonl'), Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(docs, 'utf16le')]));
writeFileSync(join(dir, 'latin1.txt'), Buffer.from('crème brûlée\n', 'latin1'));
writeFileSync(join(dir, 'q-utf16.jsonl'), Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('{"_id":"q1","text":"café","relevant":["1"]}\n', 'utf16le')]));
const cli = (...args: string[]) =>
  run(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args, '--models-dir', MODELS, '--log-level', 'silent'], {
    cwd: REPO_ROOT,
    env: Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('VLRERANK_'))),
    timeout: 120_000,
  });
const failure = (args: string[]) => cli(...args).then(() => undefined, (x: unknown) => x as { code: number; stderr: string; stdout: string });

describe('CLI: text files in other encodings, and what it prints', { timeout: 300_000 }, () => {
  it.each([
    [['rerank', '-q', 'café', '-d', join(dir, 'utf16.jsonl')], `--docs ${join(dir, 'utf16.jsonl')} is UTF-16 (byte-order mark FF FE), not UTF-8`],
    [['rerank', '-q', 'café', '-d', join(dir, 'latin1.txt')], `--docs ${join(dir, 'latin1.txt')} is not UTF-8 (line 1, byte 3: 0xe8)`],
    [['eval', '--index', 'x', '--url', 'http://127.0.0.1:9', '--queries', join(dir, 'q-utf16.jsonl')], `is UTF-16 (byte-order mark FF FE), not UTF-8`],
  ])('%j → exit 2 naming the encoding', async (args, says) => {
    const e = await failure(args);
    expect(e, 'the command should have failed').toBeDefined();
    expect(e!.code).toBe(2);
    expect(e!.stderr).toContain(says);
    expect(e!.stderr).not.toMatch(/\n\s+at /);
  });

  it('a BOM and CRLF rank as plain UTF-8; control characters in documents are printed escaped', async () => {
    const plain = await cli('rerank', '-q', 'café', '-d', join(dir, 'utf8.jsonl'), '--jsonl');
    const bom = await cli('rerank', '-q', 'café', '-d', join(dir, 'bom-crlf.jsonl'), '--jsonl');
    expect(bom.stdout).toBe(plain.stdout);
    const table = await cli('rerank', '-q', 'café', '-d', join(dir, 'bom-crlf.jsonl'));
    // eslint-disable-next-line no-control-regex
    expect(table.stdout).not.toMatch(/[\u001b\u202e\u202c\r]/);
    expect(table.stdout).toContain('red \\x1b[31mALERT\\x1b[0m done');
    expect(table.stdout).toContain('bidi \\u202eevil\\u202c text');
  });
});
