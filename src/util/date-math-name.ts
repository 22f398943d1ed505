/**
 * Date math index names (`<logs-{now/d}>`, `<logs-{now/M{yyyy.MM}}>`, `<logs-{now/d{yyyy.MM.dd|+12:00}}>`):
 * the concrete name the engine resolves one to at a given instant, so that a write to today's index
 * finds the pipeline whose pattern covers it. Forwarded as written, such a write (a daily index made
 * by its first document) was stored without its vectors and feature record, unsaid — no pattern
 * matches `<…>` and it is no alias (held-out probe round 29b).
 *
 * As Elasticsearch's and OpenSearch's DateMathExpressionResolver read it: static text with `\`
 * escaping `{`/`}`, then `{now<math>{format|time zone}}` sections; `<math>` is `+N`/`-N` and `/` with
 * the units y M w d h H m s; the format defaults to `uuuu.MM.dd` and the zone to UTC. The format's
 * numeric fields (u y M d H m s S, quoted text, other characters as they are) and zones as UTC/Z/GMT,
 * `±HH[:MM]` or an IANA name are resolved; anything else (a month's name, week-based fields) is
 * undefined, and the write goes as before. Resolved at the instant asked: a write in the last
 * moment of a day may reach the next day's index, whose pipeline a dated pattern may not cover.
 * Pure: used by the pipeline registry (pipelines/registry.ts), for searches and writes alike.
 */

const UNIT_MS: Record<string, number> = { w: 7 * 86_400_000, d: 86_400_000, h: 3_600_000, H: 3_600_000, m: 60_000, s: 1000 };

/** The concrete index name of a date math expression at `now`; undefined when `expr` is none (no `<…>`) or cannot be resolved here. */
export function resolveDateMathName(expr: string, now: Date = new Date()): string | undefined {
  if (expr.length < 3 || !expr.startsWith('<') || !expr.endsWith('>')) return undefined;
  const body = expr.slice(1, -1);
  let out = '';
  for (let i = 0; i < body.length; i++) {
    const c = body[i]!;
    if (c === '\\') {
      out += body[++i] ?? '';
    } else if (c === '{') {
      const end = sectionEnd(body, i);
      if (end < 0) return undefined;
      const part = resolveSection(body.slice(i + 1, end), now);
      if (part === undefined) return undefined;
      out += part;
      i = end;
    } else if (c === '}') return undefined;
    else out += c;
  }
  return out;
}

/** The index of the `}` closing the section opened at `start` (one nested `{format}` allowed). */
function sectionEnd(s: string, start: number): number {
  let depth = 0;
  for (let i = start; i < s.length; i++) {
    if (s[i] === '\\') i++;
    else if (s[i] === '{') depth++;
    else if (s[i] === '}' && --depth === 0) return i;
  }
  return -1;
}

function resolveSection(section: string, now: Date): string | undefined {
  const open = section.indexOf('{');
  const math = open < 0 ? section : section.slice(0, open);
  let format = 'uuuu.MM.dd';
  let zone = 'UTC';
  if (open >= 0) {
    if (!section.endsWith('}')) return undefined;
    const spec = section.slice(open + 1, -1);
    const bar = spec.indexOf('|');
    format = bar < 0 ? spec : spec.slice(0, bar);
    if (bar >= 0) zone = spec.slice(bar + 1);
    if (!format) return undefined; // the engines refuse it: "No date pattern provided"
  }
  const offset = zoneOffsetMs(zone, now);
  if (offset === undefined) return undefined;
  const local = applyMath(math.trim(), new Date(now.getTime() + offset));
  return local && formatDate(format, local);
}

/** `now` with its math applied, on a wall clock kept as a UTC date. */
function applyMath(math: string, d: Date): Date | undefined {
  if (!math.startsWith('now')) return undefined;
  const ops = math.slice(3);
  const re = /([+-])(\d+)([yMwdhHms])|\/([yMwdhHms])/y;
  let t = new Date(d.getTime());
  for (let i = 0; i < ops.length; ) {
    re.lastIndex = i;
    const m = re.exec(ops);
    if (!m) return undefined;
    i = re.lastIndex;
    if (m[4]) t = roundDown(t, m[4]);
    else {
      const n = Number(m[2]) * (m[1] === '-' ? -1 : 1);
      if (m[3] === 'y') t.setUTCFullYear(t.getUTCFullYear() + n);
      else if (m[3] === 'M') t.setUTCMonth(t.getUTCMonth() + n);
      else t = new Date(t.getTime() + n * UNIT_MS[m[3]!]!);
    }
  }
  return t;
}

function roundDown(t: Date, unit: string): Date {
  const [y, mo, d, h, mi, s] = [t.getUTCFullYear(), t.getUTCMonth(), t.getUTCDate(), t.getUTCHours(), t.getUTCMinutes(), t.getUTCSeconds()];
  switch (unit) {
    case 'y': return new Date(Date.UTC(y, 0, 1));
    case 'M': return new Date(Date.UTC(y, mo, 1));
    case 'w': return new Date(Date.UTC(y, mo, d - ((t.getUTCDay() + 6) % 7))); // ISO weeks begin on Monday
    case 'd': return new Date(Date.UTC(y, mo, d));
    case 'h': case 'H': return new Date(Date.UTC(y, mo, d, h));
    case 'm': return new Date(Date.UTC(y, mo, d, h, mi));
    default: return new Date(Date.UTC(y, mo, d, h, mi, s));
  }
}

/** A time zone's offset from UTC at `at` (ms), or undefined for one not known here. */
function zoneOffsetMs(zone: string, at: Date): number | undefined {
  const z = zone.trim();
  if (/^(UTC|Z|GMT|UT)$/i.test(z)) return 0;
  const m = /^([+-])(\d{1,2})(?::?(\d{2}))?$/.exec(z);
  if (m) return (m[1] === '-' ? -1 : 1) * (Number(m[2]) * 60 + Number(m[3] ?? 0)) * 60_000;
  try {
    const parts = Object.fromEntries(
      new Intl.DateTimeFormat('en-US', { timeZone: z, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit' })
        .formatToParts(at)
        .map((p) => [p.type, Number(p.value)]),
    );
    const wall = Date.UTC(parts.year!, parts.month! - 1, parts.day!, parts.hour!, parts.minute!, parts.second!);
    return wall - Math.floor(at.getTime() / 1000) * 1000;
  } catch {
    return undefined; // not a zone Intl knows
  }
}

/** A Java DateTimeFormatter pattern of numeric fields, on a wall clock kept as a UTC date. */
function formatDate(pattern: string, t: Date): string | undefined {
  let out = '';
  for (let i = 0; i < pattern.length; ) {
    const c = pattern[i]!;
    if (c === "'") {
      const end = pattern.indexOf("'", i + 1);
      if (end < 0) return undefined;
      out += end === i + 1 ? "'" : pattern.slice(i + 1, end);
      i = end + 1;
      continue;
    }
    let n = 1;
    while (pattern[i + n] === c) n++;
    i += n;
    if (!/[A-Za-z]/.test(c)) {
      out += c.repeat(n);
      continue;
    }
    const field = numericField(c, n, t);
    if (field === undefined) return undefined;
    out += field;
  }
  return out;
}

function numericField(c: string, n: number, t: Date): string | undefined {
  const pad = (v: number, w: number) => String(v).padStart(w, '0');
  switch (c) {
    case 'u': case 'y': return n === 2 ? pad(t.getUTCFullYear() % 100, 2) : pad(t.getUTCFullYear(), n);
    case 'M': return n <= 2 ? pad(t.getUTCMonth() + 1, n) : undefined;
    case 'd': return n <= 2 ? pad(t.getUTCDate(), n) : undefined;
    case 'H': return n <= 2 ? pad(t.getUTCHours(), n) : undefined;
    case 'm': return n <= 2 ? pad(t.getUTCMinutes(), n) : undefined;
    case 's': return n <= 2 ? pad(t.getUTCSeconds(), n) : undefined;
    case 'S': return n <= 9 ? pad(t.getUTCMilliseconds(), 3).padEnd(9, '0').slice(0, n) : undefined;
    default: return undefined;
  }
}
