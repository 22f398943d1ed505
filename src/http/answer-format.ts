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
 * Written from the answer object after one walk, as `JSON.stringify` is (reading its JSON text back
 * with the `yaml` library took 1.5–4 s for a 5 MB answer on the event loop): a number is an integer
 * where its JSON spelling is one — its kept token (util/json-tokens.ts: a long past 2^53, past 2^64
 * too) or what `JSON.stringify` writes — else a double (`1.0` kept as sent stays a double), as the
 * engines write the same values (compared with Elasticsearch 8.19 and OpenSearch 2.19 answering
 * `format=` themselves: test/integration/search/answer-formats.test.ts).
 * - CBOR (RFC 8949) by cbor-x: definite lengths where the engines write indefinite ones, the same values.
 * - YAML is hand-written: block style with strings and odd keys double-quoted as JSON writes them
 *   (JSON's escapes are YAML 1.2's). The `yaml` library's writer on the walked object (not on its
 *   JSON text; anchors off, a custom tag for doubles) gave the same values but took 2.35× the time of
 *   this writer (median of 25 paired runs on a 5.2 MB answer, 499 ms against 236 ms; 1.8–3.7× in
 *   other runs: scripts/bench/answer-format.ts, round fmt24) — over the ~2× the team accepts.
 * - Smile (Jackson's binary JSON, what Elasticsearch and OpenSearch write for `format=smile`) is
 *   hand-written, without shared names or values (the same bytes as the engines' otherwise, a
 *   BigInteger past a long included — unit test): npm has no maintained Smile writer — its one Smile
 *   package, smile-js (one maintainer, ~7k downloads a month), is a reader in the 0.7.0 the registry
 *   serves ("The library currently only supports decoding", its README), and its repository's later
 *   writer has no release here (round fmt24).
 * The engine's own JSON answer to the first stage (a missing index's 404) is written so too, and
 * vlrerank's own ES-shaped errors on the engine's paths (http/errors.ts; JSON until round fmt24).
 */
import { addExtension, Encoder } from 'cbor-x';
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
export function encodeAnswer(answer: object, format: Exclude<AnswerFormat, 'json'>): Buffer {
  const value = scalars(answer, answerTokens(answer));
  if (format === 'yaml') {
    const out: string[] = ['---\n'];
    yaml(out, value, '');
    return Buffer.from(out.join(''));
  }
  if (format === 'cbor') return CBOR.encode(value);
  const w = new Writer();
  w.bytes(0x3a, 0x29, 0x0a, 0x00); // ":)\n", version 0, no shared names or values, no raw binary
  smile(w, value);
  return w.done();
}

/**
 * A double that holds an integer (`1.0` kept as sent, `-0.0`, a number past 1e21), told apart from
 * an integer in the walked copy; a number that is not an integer is a double as it is.
 */
class Double {
  constructor(readonly value: number) {}
}

/** The integers CBOR writes with a 32-bit argument at most (cbor-x writes any other as a float unless it is a bigint). */
const INT_MIN = -(2 ** 32);
const INT_MAX = 2 ** 32 - 1;

/**
 * A number as the engine writes it: an integer where its JSON spelling is one (its kept token, else
 * what `JSON.stringify` writes: every integer below 1e21 — the engines read `9007199254740994` as a
 * long, not a double), as a number within 32 bits and a bigint past them (which the writers write as
 * integers of their width, the shortest as the engines write them — cbor-x writes any bigint with 8
 * bytes; past 64 bits CBOR's bignum or Smile's BigInteger, as the engines write a BigInteger); else a double.
 */
function numberOf(v: number, token: string | undefined): unknown {
  if (token !== undefined) {
    if (!/^-?\d+$/.test(token)) return Number.isInteger(v) ? new Double(v) : v;
    return v >= INT_MIN && v <= INT_MAX ? v : BigInt(token);
  }
  if (!Number.isFinite(v)) return null;
  if (!Number.isInteger(v)) return v;
  if (Math.abs(v) >= 1e21) return new Double(v);
  return v >= INT_MIN && v <= INT_MAX ? v + 0 : BigInt(v); // + 0: -0 is the integer 0 JSON writes
}

/** A copy of `v` as the writers read it: integers as numbers (32 bits) or bigints, doubles as numbers that are not integers or Double, what JSON drops dropped. */
function scalars(v: unknown, tokenOf: AnswerToken | undefined, container?: unknown, key?: string): unknown {
  if (typeof v === 'number') return numberOf(v, tokenOf?.(container, key!, v));
  if (v === null || typeof v !== 'object') return typeof v === 'string' || typeof v === 'boolean' ? v : null;
  if (typeof (v as { toJSON?: unknown }).toJSON === 'function') return scalars((v as { toJSON(): unknown }).toJSON(), tokenOf);
  if (Array.isArray(v)) return v.map((x, i) => scalars(x, tokenOf, v, String(i)));
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v)) if (x !== undefined && typeof x !== 'function' && typeof x !== 'symbol') setOwn(out, k, scalars(x, tokenOf, v, k));
  return out;
}

/**
 * CBOR (RFC 8949) by cbor-x: objects as maps of their own size (no records, no tag 259), integers
 * in their shortest width, bigints past 64 bits as bignums (tag 2/3, as the engines write a
 * BigInteger). A Double is written as a 64-bit float even when it holds an integer (`1.0`): cbor-x
 * writes any number that is an integer as one, so the Double's extension (no tag: cbor-x writes none
 * for an extension without one) turns on its `alwaysUseFloat` for that value alone — encoding is
 * synchronous, and the unit test checks the bytes.
 */
const CBOR = new Encoder({ useRecords: false, variableMapSize: true, useToJSON: false });
type FloatSwitch = { alwaysUseFloat?: boolean };
addExtension({
  Class: Double,
  tag: undefined as unknown as number,
  encode(this: FloatSwitch, d: Double, encode: (v: unknown) => unknown) {
    this.alwaysUseFloat = true;
    try {
      encode(d.value);
    } finally {
      this.alwaysUseFloat = false;
    }
  },
} as unknown as Parameters<typeof addExtension>[0]);

/** A Double (an integer's value) as YAML 1.1 (Jackson's reader) and 1.2 both read a double: `1` as `1.0`, `1e+21` as `1.0e+21`, `-0` as `-0.0`. */
function doubleText(d: number): string {
  if (Object.is(d, -0)) return '-0.0';
  const t = JSON.stringify(d);
  if (t.includes('.')) return t;
  const e = t.indexOf('e');
  return e < 0 ? `${t}.0` : `${t.slice(0, e)}.0${t.slice(e)}`;
}

/** A key YAML reads as the string it is without quotes (not `true`, `null`, `yes`, a number…). */
const PLAIN_KEY = /^[A-Za-z_][A-Za-z0-9_]*$/;
const YAML_WORDS = /^(?:y|n|yes|no|on|off|true|false|null)$/i;
const yamlKey = (k: string) => (PLAIN_KEY.test(k) && !YAML_WORDS.test(k) ? k : JSON.stringify(k));

function yamlScalar(v: unknown): string | undefined {
  if (v === null) return 'null';
  if (typeof v === 'bigint' || typeof v === 'boolean') return String(v);
  if (typeof v === 'number') return Number.isInteger(v) ? String(v) : JSON.stringify(v);
  if (v instanceof Double) return doubleText(v.value);
  if (typeof v === 'string') return JSON.stringify(v);
  if (Array.isArray(v) && v.length === 0) return '[]';
  if (isRecord(v) && Object.keys(v).length === 0) return '{}';
  return undefined;
}

/** Block-style YAML of `v` (a container) at `pad`, a sequence not indented under its key, as the engines write it. */
function yaml(out: string[], v: unknown, pad: string): void {
  const entries: Array<[string, unknown]> = Array.isArray(v) ? v.map((x) => ['-', x]) : Object.entries(v as Record<string, unknown>).map(([k, x]) => [`${yamlKey(k)}:`, x]);
  for (const [lead, x] of entries) {
    const s = yamlScalar(x);
    if (s !== undefined) out.push(pad, lead, ' ', s, '\n');
    else if (Array.isArray(x) && lead !== '-') {
      out.push(pad, lead, '\n');
      yaml(out, x, pad);
    } else {
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
  done(): Buffer {
    return this.#buf.subarray(0, this.#len);
  }
}

const isRecord = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

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
  if (typeof v === 'number' && !Number.isInteger(v)) return smileDouble(w, v);
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
    return smileBigInteger(w, v);
  }
  if (v instanceof Double) return smileDouble(w, v.value);
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

/**
 * 0x26, an integer past a long, as Jackson writes a BigInteger: the length of its two's-complement
 * bytes (Java's `BigInteger.toByteArray()`: big-endian, a sign bit, no more) as a VInt, then those
 * bytes' bits in 7-bit groups, the last group holding what is left, right-aligned
 * (SmileGenerator._write7BitBinaryWithLength).
 */
function smileBigInteger(w: Writer, v: bigint): void {
  const bytes: number[] = [];
  for (let x = v; ; x >>= 8n) {
    bytes.unshift(Number(BigInt.asUintN(8, x)));
    const sign = (bytes[0]! & 0x80) !== 0;
    if ((x >> 8n === 0n && !sign) || (x >> 8n === -1n && sign)) break;
  }
  w.byte(0x26);
  vint(w, bytes.length);
  const bits = bytes.reduce((acc, b) => (acc << 8n) | BigInt(b), 0n);
  const total = bytes.length * 8;
  let at = total;
  for (; at >= 7; at -= 7) w.byte(Number((bits >> BigInt(at - 7)) & 0x7fn));
  if (at > 0) w.byte(Number(bits & ((1n << BigInt(at)) - 1n)));
}

/** 0x29: the double's 64 bits in ten 7-bit groups, big-endian. */
function smileDouble(w: Writer, d: number): void {
  SCRATCH.setFloat64(0, d);
  const hi = SCRATCH.getUint32(0);
  const lo = SCRATCH.getUint32(4);
  w.byte(0x29);
  for (let k = 9; k >= 0; k--) {
    const at = 7 * k;
    w.byte((at >= 32 ? hi >>> (at - 32) : at + 7 <= 32 ? lo >>> at : (lo >>> at) | (hi << (32 - at))) & 0x7f);
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
