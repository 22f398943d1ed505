import { describe, expect, it } from 'vitest';
import { lossyNumber } from '../../../src/util/json-lossy-numbers.js';

describe('lossyNumber (numbers JSON.parse does not keep)', () => {
  it('finds integers past 2^53 a double cannot hold, literals past the double range, decimals of more than 17 digits', () => {
    expect(lossyNumber('{"id":9007199254740993}')).toBe('9007199254740993');
    expect(lossyNumber('{"id":12345678901234567}')).toBe('12345678901234567');
    expect(lossyNumber('{"a":[1,{"b":-9223372036854775807}]}')).toBe('-9223372036854775807');
    expect(lossyNumber('{"u":18446744073709551615}')).toBe('18446744073709551615');
    expect(lossyNumber('{"x":1e400}')).toBe('1e400');
    expect(lossyNumber('{"x":-1E+999}')).toBe('-1E+999');
    expect(lossyNumber('{"p":0.1000000000000000055511151231257827}')).toBe('0.1000000000000000055511151231257827');
  });

  it('passes what comes back as the same double: safe integers, exact large ones, 17 digits, zeros', () => {
    expect(lossyNumber('{"a":9007199254740991,"b":-9007199254740991,"c":9007199254740994,"d":1e21,"e":0.1,"f":-0.0,"g":1.7976931348623157e308,"h":1234567890123456.7,"k":12345678901234568,"i":0.000001000,"j":5e-324}')).toBeUndefined();
  });

  it('skips digits inside strings and keys, escapes included', () => {
    expect(lossyNumber('{"9007199254740993":"9007199254740993","s":"a\\"9007199254740993"}')).toBeUndefined();
    expect(lossyNumber('{"s":"\\\\","n":9007199254740993}')).toBe('9007199254740993');
  });
});
