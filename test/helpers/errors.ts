import { expect } from 'vitest';
import { VlrerankError } from '../../src/errors.js';

/** The VlrerankError a promise rejects with; fails the test if it resolves or rejects with anything else. */
export async function rejection(p: Promise<unknown>): Promise<VlrerankError> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(VlrerankError);
    return e as VlrerankError;
  }
  throw new Error('expected a rejection');
}
