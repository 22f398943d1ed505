/**
 * Files the commands read are UTF-8 or refused naming why (held-out probe round 15f): a UTF-16
 * file (with or without its byte-order mark) and a Latin-1 file were read as text of NULs and
 * U+FFFD and ranked with exit 0. A UTF-8 BOM is dropped; CRLF is kept for the line splitters.
 */
import { describe, expect, it } from 'vitest';
import { utf8FileText } from '../../../src/util/text-file.js';

const text = '{"text":"crème brûlée 東京 👍🏽"}\n"ΟΔΥΣΣΕΥΣ"\n';

describe('utf8FileText', () => {
  it('reads UTF-8, drops a BOM, keeps CRLF', () => {
    expect(utf8FileText(Buffer.from(text), 'f')).toBe(text);
    expect(utf8FileText(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(text.replace(/\n/g, '\r\n'))]), 'f')).toBe(text.replace(/\n/g, '\r\n'));
    expect(utf8FileText(Buffer.alloc(0), 'f')).toBe('');
  });

  it('refuses UTF-16 LE and BE, with and without a byte-order mark, naming the file', () => {
    const le = Buffer.from(text, 'utf16le');
    const be = Buffer.from(le).swap16();
    for (const [bytes, why] of [
      [Buffer.concat([Buffer.from([0xff, 0xfe]), le]), 'FF FE'],
      [Buffer.concat([Buffer.from([0xfe, 0xff]), be]), 'FE FF'],
      [le, 'NUL bytes'],
      [be, 'NUL bytes'],
    ] as const) {
      expect(() => utf8FileText(bytes, '--docs d.jsonl')).toThrow(expect.objectContaining({ code: 'VLR_BAD_REQUEST', message: expect.stringMatching(new RegExp(`--docs d\\.jsonl is UTF-16 \\(.*${why}.*save it as UTF-8`)) }));
    }
  });

  it('refuses bytes that are not UTF-8, naming the line and the byte', () => {
    const latin1 = Buffer.from('first line\ncrème brûlée\n', 'latin1');
    expect(() => utf8FileText(latin1, 'q.tsv')).toThrow(expect.objectContaining({ code: 'VLR_BAD_REQUEST', message: expect.stringContaining('q.tsv is not UTF-8 (line 2, byte 14: 0xe8)') }));
    expect(() => utf8FileText(Buffer.from([0x61, 0x80, 0x62]), 'x')).toThrow(/line 1, byte 2: 0x80/);
    expect(() => utf8FileText(Buffer.from([0x61, 0xc3, 0xa9, 0xff]), 'x')).toThrow(/line 1, byte 4: 0xff/);
  });
});
