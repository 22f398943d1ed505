import { describe, expect, it } from 'vitest';
import { engineText } from '../../../src/util/wire-text.js';

describe('engineText: JSON bytes read as the engines (Jackson) read them', () => {
  it('reads an encoded lone surrogate (Python surrogatepass) as its UTF-16 unit', () => {
    expect(engineText(Buffer.from([0x61, 0xed, 0xa0, 0x80, 0x62]))).toBe('a\ud800b');
    expect(engineText(Buffer.from([0xed, 0xb3, 0xa9]))).toBe('\udce9'); // surrogateescape of the byte E9
  });
  it('an encoded pair is the character it encodes (CESU-8)', () => {
    expect(engineText(Buffer.from([0xed, 0xa0, 0xbd, 0xed, 0xb8, 0x80]))).toBe('😀');
  });
  it('leaves plain UTF-8 as Buffer#toString reads it: Hangul (ED 80..9F), other bytes, a cut sequence', () => {
    for (const b of [Buffer.from('힣 한국어 é 😀'), Buffer.from([0x61, 0xed]), Buffer.from([0x61, 0xed, 0xa0]), Buffer.from([0xff, 0x61]), Buffer.alloc(0)]) {
      expect(engineText(b)).toBe(b.toString('utf8'));
    }
  });
});
