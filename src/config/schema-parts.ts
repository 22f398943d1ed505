/**
 * The small rules the configuration schema's sections share (schema.ts and its schema-*.ts sections).
 */
import { z } from 'zod';

export const port = z.number().int().min(0).max(65535);
export const positiveInt = z.number().int().positive();
export const nonNegativeInt = z.number().int().nonnegative();
export const url = z.string().url().refine((u) => /^https?:\/\//.test(u), 'must be an http:// or https:// URL');
/** An upstream URL's query string and fragment were never sent (only its path prefix is): refused, not dropped (a non-URL is the check before's). */
export const noQueryOrFragment = (u: string): boolean => !URL.canParse(u) || (!new URL(u).search && !new URL(u).hash);
