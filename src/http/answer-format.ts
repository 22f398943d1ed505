/**
 * The media type of an answer vlrerank builds itself (a reranked `_search`, an `_msearch` it put
 * together): what the client asked for, as the engine would answer it. Both engines write any answer
 * as JSON, YAML, CBOR or Smile — `?format=` first, else the `Accept` header (`application/yaml`,
 * `application/cbor`, `application/smile`), else JSON. The first stage is always asked for JSON
 * (search/headers.ts: vlrerank reads it); only the answer is written in the asked format.
 *
 * Held-out probe round 23b: an ops script's `curl …/_search?format=yaml` (or a client sending
 * `Accept: application/cbor`) on an index with a default pipeline got JSON — the engine answers the
 * format asked, so a YAML or CBOR reader of the tool choked on the proxy's answer, and only there.
 *
 * Written from the answer object in one walk, as `JSON.stringify` is (reading its JSON text back
 * with the `yaml` library took 1.5–4 s for a 5 MB answer on the event loop): a number is an integer
 * where it is a safe integer or its kept token (util/json-tokens.ts: a long past 2^53) spells one,
 * else a double (`1.0` kept as sent stays a double). YAML is block style with strings and odd keys
 * double-quoted as JSON writes them (JSON's escapes are YAML 1.2's); CBOR is RFC 8949 (definite
 * lengths, doubles as 64-bit floats); Smile is Jackson's binary JSON (what Elasticsearch and OpenSearch
 * write for `format=smile`) without shared names or values.
 * The engine's own JSON answer to the first stage (a missing index's 404) is written so too.
 * Never: vlrerank's own errors (http/errors.ts) — they stay JSON (docs/RELIABILITY.md, Known gaps).
 */
import { answerTokens, type AnswerToken } from '../util/json-tokens.js';
import { setOwn } from '../util/own-key.js';

export type AnswerFormat = 'json' | 'yaml' | 'cbor' | 'smile';

/** The content type the engines answer each format with. */
export const ANSWER_CONTENT_TYPE: Readonly<Record<Exclude<AnswerFormat, 'json'>, string>> = { yaml: 'application/yaml', cbor: 'application/cbor', smile: 'application/smile' };

const FORMATS = new Set<string>(['json', 'yaml', 'cbor', 'smile']);

/**
 * The format a client asked for: `format` (case-insensitive, as the engines read it), else the
 * first `Accept` media type the engines write other than JSON. Anything else (none, `*\/*`, a
 * vendor `+smile` type with `compatible-with`, which the engines answer as JSON too) → JSON.
 */
export function askedFormat(params: URLSearchParams, accept: string | undefined): AnswerFormat {
  const f = params.get('format')?.toLowerCase();
  if (f !== undefined && FORMATS.has(f)) return f as AnswerFormat;
  if (!accept) return 'json';
  const m = /^\s*application\/(json|yaml|cbor|smile)\s*(?:;|,|$)/i.exec(accept);
  return m ? (m[1]!.toLowerCase() as AnswerFormat) : 'json';
}

/** The JSON object `bytes` hold when `contentType` says JSON (an answer of the engine's), else undefined. */
export function jsonObject(bytes: Buffer, contentType: string | undefined): Record<string, unknown> | undefined {
  if (!contentType || !/^\s*application\/(?:vnd\.elasticsearch\+)?json\s*(?:;|$)/i.test(contentType)) return undefined;
  try {
    const v: unknown = JSON.parse(bytes.toString('utf8'));
    return isRecord(v) ? v : undefined;
  } catch {
    return undefined;
  }
}

/** `answer` written in `format`. */
export function encodeAnswer(answer: Record<string, unknown>, format: Exclude<AnswerFormat, 'json'>): Buffer {
  const value = scalars(answer, answerTokens(answer));
  if (format === 'yaml') {
    const out: string[] = ['---\n'];
    yaml(out, value, '');
    return Buffer.from(out.join(''));
  }
  const w = new Writer();
  if (format === 'cbor') cbor(w, value);
  else {
    w.bytes(0x3a, 0x29, 0x0a, 0x00); // ":)\n", version 0, no shared names or values, no raw binary
    smile(w, value);
  }
  return w.done();
}

/** A double, told apart from an integer (a number that is a safe integer, or a bigint) in the walked copy. */
class Double {
  constructor(readonly value: number) {}
}

/** A copy of `v` as the encoders read it: safe integers as numbers, longs past them as bigint, other numbers as Double, what JSON drops dropped. */
function scalars(v: unknown, tokenOf: AnswerToken | undefined, container?: unknown, key?: string): unknown {
  if (typeof v === 'number') {
    const token = tokenOf?.(container, key!, v);
    if (token !== undefined) return /^-?\d+$/.test(token) && BigInt.asIntN(64, BigInt(token)) === BigInt(token) ? BigInt(token) : new Double(v);
    return Number.isSafeInteger(v) ? v : Number.isFinite(v) ? new Double(v) : null;
  }
  if (v === null || typeof v !== 'object') return typeof v === 'string' || typeof v === 'boolean' ? v : null;
  if (typeof (v as { toJSON?: unknown }).toJSON === 'function') return scalars((v as { toJSON(): unknown }).toJSON(), tokenOf);
  if (Array.isArray(v)) return v.map((x, i) => scalars(x, tokenOf, v, String(i)));
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v)) if (x !== undefined && typeof x !== 'function' && typeof x !== 'symbol') setOwn(out, k, scalars(x, tokenOf, v, k));
  return out;
}

/** A key YAML reads as the string it is without quotes (not `true`, `null`, `yes`, a number…). */
const PLAIN_KEY = /^[A-Za-z_][A-Za-z0-9_]*$/;
const YAML_WORDS = /^(?:y|n|yes|no|on|off|true|false|null)$/i;
const yamlKey = (k: string) => (PLAIN_KEY.test(k) && !YAML_WORDS.test(k) ? k : JSON.stringify(k));

function yamlScalar(v: unknown): string | undefined {
  if (v === null) return 'null';
  if (typeof v === 'bigint' || typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (v instanceof Double) {
    const t = JSON.stringify(v.value);
    return /[.eE]/.test(t) ? t : `${t}.0`; // a double YAML reads as one
  }
  if (typeof v === 'string') return JSON.stringify(v);
  if (Array.isArray(v) && v.length === 0) return '[]';
  if (isRecord(v) && Object.keys(v).length === 0) return '{}';
  return undefined;
}

/** Block-style YAML of `v` (a container) at `pad`. */
function yaml(out: string[], v: unknown, pad: string): void {
  const entries: Array<[string, unknown]> = Array.isArray(v) ? v.map((x) => ['-', x]) : Object.entries(v as Record<string, unknown>).map(([k, x]) => [`${yamlKey(k)}:`, x]);
  for (const [lead, x] of entries) {
    const s = yamlScalar(x);
    if (s !== undefined) out.push(pad, lead, ' ', s, '\n');
    else {
      out.push(pad, lead, '\n');
      yaml(out, x, pad + '  ');
    }
  }
}

class Writer {
  #buf = Buffer.allocUnsafe(1024);
  #len = 0;
  #room(n: number): void {
    if (this.#len + n <= this.#buf.length) return;
    const next = Buffer.allocUnsafe(Math.max(this.#buf.length * 2, this.#len + n));
    this.#buf.copy(next, 0, 0, this.#len);
    this.#buf = next;
  }
  byte(x: number): void {
    this.#room(1);
    this.#buf[this.#len++] = x;
  }
  bytes(...b: number[]): void {
    this.#room(b.length);
    for (const x of b) this.#buf[this.#len++] = x;
  }
  buffer(b: Buffer): void {
    this.#room(b.length);
    b.copy(this.#buf, this.#len);
    this.#len += b.length;
  }
  /** The double's 8 bytes, big-endian. */
  double(d: number): void {
    this.#room(8);
    this.#buf.writeDoubleBE(d, this.#len);
    this.#len += 8;
  }
  done(): Buffer {
    return this.#buf.subarray(0, this.#len);
  }
}

const isRecord = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

/** RFC 8949 §3.1: a major type and its argument (a length or an unsigned integer up to 2^64 - 1). */
function head(w: Writer, major: number, n: bigint | number): void {
  const m = major << 5;
  if (typeof n === 'number' && n < 0x100000000) {
    if (n < 24) return w.byte(m | n);
    if (n < 0x100) return w.bytes(m | 24, n);
    if (n < 0x10000) return w.bytes(m | 25, n >>> 8, n & 0xff);
    return w.bytes(m | 26, n >>> 24, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff);
  }
  const v = BigInt(n);
  if (v < 24n) w.bytes(m | Number(v));
  else if (v < 0x100n) w.bytes(m | 24, Number(v));
  else if (v < 0x10000n) w.bytes(m | 25, Number(v >> 8n), Number(v & 0xffn));
  else if (v < 0x100000000n) w.bytes(m | 26, ...[24n, 16n, 8n, 0n].map((s) => Number((v >> s) & 0xffn)));
  else w.bytes(m | 27, ...[56n, 48n, 40n, 32n, 24n, 16n, 8n, 0n].map((s) => Number((v >> s) & 0xffn)));
}

function cbor(w: Writer, v: unknown): void {
  if (v === null || v === undefined) return w.bytes(0xf6);
  if (v === true) return w.bytes(0xf5);
  if (v === false) return w.bytes(0xf4);
  if (typeof v === 'bigint') return v >= 0n ? head(w, 0, v) : head(w, 1, -1n - v);
  if (typeof v === 'number') return v >= 0 ? head(w, 0, v) : head(w, 1, -1 - v);
  if (v instanceof Double) {
    w.byte(0xfb);
    return w.double(v.value);
  }
  if (typeof v === 'string') {
    const b = Buffer.from(v, 'utf8');
    head(w, 3, b.length);
    return w.buffer(b);
  }
  if (Array.isArray(v)) {
    head(w, 4, v.length);
    for (const x of v) cbor(w, x);
    return;
  }
  if (isRecord(v)) {
    const keys = Object.keys(v);
    head(w, 5, keys.length);
    for (const k of keys) {
      cbor(w, k);
      cbor(w, v[k]);
    }
  }
}

const SCRATCH = new DataView(new ArrayBuffer(8));

/** Smile's VInt: 7 bits a byte, big-endian, the last byte holding 6 bits and its high bit set. */
function vint(w: Writer, n: bigint | number): void {
  if (typeof n === 'number') {
    // up to 32 bits: 6 in the last byte, 7 in each before it
    const out = [(n & 0x3f) | 0x80];
    for (let rest = n >>> 6; rest > 0; rest >>>= 7) out.unshift(rest & 0x7f);
    return w.bytes(...out);
  }
  const out = [Number(n & 0x3fn) | 0x80];
  for (let rest = n >> 6n; rest > 0n; rest >>= 7n) out.unshift(Number(rest & 0x7fn));
  w.bytes(...out);
}

const INT32 = (v: bigint) => v >= -(2n ** 31n) && v < 2n ** 31n;
const zigzag = (v: bigint, bits: bigint) => BigInt.asUintN(Number(bits), (v << 1n) ^ (v >> (bits - 1n)));

function smile(w: Writer, v: unknown): void {
  if (v === null || v === undefined) return w.bytes(0x21);
  if (v === true) return w.bytes(0x23);
  if (v === false) return w.bytes(0x22);
  if (typeof v === 'number' && v >= -(2 ** 31) && v < 2 ** 31) {
    const z = ((v << 1) ^ (v >> 31)) >>> 0; // zigzag
    if (z < 32) return w.byte(0xc0 + z);
    w.byte(0x24);
    return vint(w, z);
  }
  if (typeof v === 'number') return smile(w, BigInt(v));
  if (typeof v === 'bigint') {
    if (v >= -16n && v <= 15n) return w.bytes(0xc0 + Number(zigzag(v, 32n)));
    if (INT32(v)) {
      w.bytes(0x24);
      return vint(w, zigzag(v, 32n));
    }
    if (v >= -(2n ** 63n) && v < 2n ** 63n) {
      w.bytes(0x25);
      return vint(w, zigzag(v, 64n));
    }
    return smile(w, new Double(Number(v))); // past a long (scalars() makes none): as a double
  }
  if (v instanceof Double) {
    // 0x29: the double's 64 bits in ten 7-bit groups, big-endian
    SCRATCH.setFloat64(0, v.value);
    const hi = SCRATCH.getUint32(0);
    const lo = SCRATCH.getUint32(4);
    w.byte(0x29);
    for (let k = 9; k >= 0; k--) {
      const at = 7 * k;
      w.byte((at >= 32 ? hi >>> (at - 32) : at + 7 <= 32 ? lo >>> at : (lo >>> at) | (hi << (32 - at))) & 0x7f);
    }
    return;
  }
  if (typeof v === 'string') return smileString(w, v);
  if (Array.isArray(v)) {
    w.bytes(0xf8);
    for (const x of v) smile(w, x);
    return w.bytes(0xf9);
  }
  if (isRecord(v)) {
    w.bytes(0xfa);
    for (const k of Object.keys(v)) {
      smileKey(w, k);
      smile(w, v[k]);
    }
    w.bytes(0xfb);
  }
}

function smileString(w: Writer, s: string): void {
  if (s === '') return w.bytes(0x20);
  const b = Buffer.from(s, 'utf8');
  const ascii = b.length === s.length;
  if (ascii && b.length <= 32) w.bytes(0x40 + b.length - 1);
  else if (ascii && b.length <= 64) w.bytes(0x60 + b.length - 33);
  else if (!ascii && b.length <= 33) w.bytes(0x80 + b.length - 2);
  else if (!ascii && b.length <= 65) w.bytes(0xa0 + b.length - 34);
  else {
    w.bytes(ascii ? 0xe0 : 0xe4);
    w.buffer(b);
    return w.bytes(0xfc);
  }
  w.buffer(b);
}

function smileKey(w: Writer, k: string): void {
  if (k === '') return w.bytes(0x20);
  const b = Buffer.from(k, 'utf8');
  const ascii = b.length === k.length;
  if (ascii && b.length <= 64) w.bytes(0x80 + b.length - 1);
  else if (!ascii && b.length <= 57) w.bytes(0xc0 + b.length - 2);
  else {
    w.bytes(0x34);
    w.buffer(b);
    return w.bytes(0xfc);
  }
  w.buffer(b);
}
