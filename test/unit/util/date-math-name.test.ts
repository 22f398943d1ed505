/**
 * Date math index names resolved as the engines resolve them (util/date-math-name.ts). The forms
 * below at the probe's own instant were checked against Elasticsearch 8.19 and OpenSearch 2.19
 * (`scripts/probe/p29b-datemath.ts`: the index each made of a write, 16 of 16 equal on both; an
 * empty format the engines refuse, and a month's name they refuse as upper case).
 */
import { describe, expect, it } from 'vitest';
import { resolveDateMathName } from '../../../src/util/date-math-name.js';

const WED = new Date('2026-12-09T13:45:30.250Z'); // a Wednesday

describe('resolveDateMathName', () => {
  it.each([
    ['<logs-{now/d}>', 'logs-2026.12.09'],
    ['<logs-{now}>', 'logs-2026.12.09'],
    ['<logs-{now/M{yyyy.MM}}>', 'logs-2026.12'],
    ['<logs-{now/M{uuuu-MM}}>', 'logs-2026-12'],
    ['<logs-{now-1d/d}>', 'logs-2026.12.08'],
    ['<logs-{now+1M/M{yyyy.MM}}>', 'logs-2027.01'],
    ['<logs-{now/w{yyyy.MM.dd}}>', 'logs-2026.12.07'],
    ['<logs-{now/y{yy}}>', 'logs-26'],
    ['<logs-{now/H{yyyy.MM.dd.HH}}>', 'logs-2026.12.09.13'],
    ['<logs-{now{yyyy.MM.dd.HH.mm.ss.SSS}}>', 'logs-2026.12.09.13.45.30.250'],
    ['<logs-{now/d{yyyy.MM.dd|+12:00}}>', 'logs-2026.12.10'],
    ['<logs-{now/d{yyyy.MM.dd|-14}}>', 'logs-2026.12.08'],
    ['<logs-{now/d{yyyy.MM.dd|Pacific/Kiritimati}}>', 'logs-2026.12.10'],
    ["<logs-{now/d{'day'-dd}}>", 'logs-day-09'],
    ['<logs-\\{x\\}-{now/d}>', 'logs-{x}-2026.12.09'],
    ['<a-{now/d{yyyy}}-b-{now/M{MM}}>', 'a-2026-b-12'],
    ['<plain>', 'plain'],
  ])('%s → %s', (expr, name) => {
    expect(resolveDateMathName(expr, WED)).toBe(name);
  });

  it('takes summer time of a named zone into account', () => {
    // 02:00 UTC on 1 July is 22:00 on 30 June in New York (UTC-4 in summer, UTC-5 in winter)
    expect(resolveDateMathName('<x-{now/d{yyyy.MM.dd|America/New_York}}>', new Date('2026-07-01T02:00:00Z'))).toBe('x-2026.06.30');
    expect(resolveDateMathName('<x-{now/d{yyyy.MM.dd|America/New_York}}>', new Date('2026-01-01T04:30:00Z'))).toBe('x-2025.12.31');
    expect(resolveDateMathName('<x-{now/d{yyyy.MM.dd|America/New_York}}>', new Date('2026-01-01T05:30:00Z'))).toBe('x-2026.01.01');
  });

  it.each([
    ['logs-2026', 'not a date math name'],
    ['<logs-{now/d>', 'a section left open'],
    ['<logs-}>', 'a stray closing brace'],
    ['<logs-{now/q}>', 'an unknown unit'],
    ['<logs-{yesterday}>', 'math not from now'],
    ['<logs-{now/d{MMM}}>', "a month's name"],
    ['<logs-{now/d{|UTC}}>', 'no format (the engines refuse it)'],
    ['<logs-{now/d{yyyy|Mars/Olympus}}>', 'an unknown zone'],
  ])('%s: undefined (%s)', (expr) => {
    expect(resolveDateMathName(expr, WED)).toBeUndefined();
  });
});
