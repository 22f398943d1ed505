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
 * The answer's JSON text (with the tokens it keeps, util/json-tokens.ts) is read back by the `yaml`
 * library with integers as BigInt, so a long stays a long and `1.0` stays a double in every format.
 * CBOR is RFC 8949 (definite lengths, doubles as 64-bit floats); Smile is Jackson's binary JSON
 * (the format Elasticsearch and OpenSearch write with `format=smile`) without shared names or values.
 * Never: an error answer — vlrerank's own errors stay JSON, as documented in docs/RELIABILITY.md.
 */
import { parse, stringify } from 'yaml';

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

/** `json` (the answer's JSON text) written in `format`. */
export function encodeAnswer(json: string, format: Exclude<AnswerFormat, 'json'>): Buffer {
  const value: unknown = parse(json, { intAsBigInt: true, schema: 'json' });
  if (format === 'yaml') return Buffer.from('---\n' + stringify(value, { lineWidth: 0 }));
  const w = new Writer();
  if (format === 'cbor') cbor(w, value);
  else {
    w.bytes(0x3a, 0x29, 0x0a, 0x00); // ":)\n", version 0, no shared names or values, no raw binary
    smile(w, value);
  }
  return w.done();
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
  bytes(...b: number[]): void {
    this.#room(b.length);
    for (const x of b) this.#buf[this.#len++] = x;
  }
  buffer(b: Buffer): void {
    this.#room(b.length);
    b.copy(this.#buf, this.#len);
    this.#len += b.length;
  }
  double(d: number): Buffer {
    const b = Buffer.allocUnsafe(8);
    b.writeDoubleBE(d);
    return b;
  }
  done(): Buffer {
    return this.#buf.subarray(0, this.#len);
  }
}

const isRecord = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

/** RFC 8949 §3.1: a major type and its argument (a length or an unsigned integer up to 2^64 - 1). */
function head(w: Writer, major: number, n: bigint | number): void {
  const v = BigInt(n);
  const m = major << 5;
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
  if (typeof v === 'number') {
    w.bytes(0xfb);
    return w.buffer(w.double(v));
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

/** Smile's VInt: 7 bits a byte, big-endian, the last byte holding 6 bits and its high bit set. */
function vint(w: Writer, n: bigint): void {
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
    return smile(w, Number(v)); // past a long: the engines have none; as a double
  }
  if (typeof v === 'number') {
    // 0x29: the double's 64 bits in ten 7-bit groups, big-endian
    const bits = w.double(v).readBigUInt64BE();
    w.bytes(0x29, ...Array.from({ length: 10 }, (_, i) => Number((bits >> BigInt(7 * (9 - i))) & 0x7fn)));
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
