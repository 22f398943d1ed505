/**
 * Raw HTTP/1.1 over a socket, for tests that must send what clients libraries refuse to send
 * (hop-by-hop headers, Expect, pipelined requests) and see the exact bytes that come back.
 */
import { connect } from 'node:net';

export interface RawResponse {
  status: number;
  /** Header lines as sent, `[name, value]` in order. */
  headers: Array<[string, string]>;
  body: Buffer;
  /** Interim (1xx) status codes received before this response. */
  interim: number[];
}

export function header(r: RawResponse, name: string): string | undefined {
  return r.headers.find(([k]) => k.toLowerCase() === name.toLowerCase())?.[1];
}

/** Send `request` bytes (end with `Connection: close` on the last one) and read everything until the server closes. */
export async function rawExchange(url: string, request: Buffer | string, opts: { timeoutMs?: number; onInterim?: (write: (b: Buffer | string) => void) => void } = {}): Promise<Buffer> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const s = connect(Number(u.port), u.hostname);
    const chunks: Buffer[] = [];
    let sawInterim = false;
    s.setTimeout(opts.timeoutMs ?? 20_000, () => s.destroy(new Error('raw exchange timed out')));
    s.on('data', (c: Buffer) => {
      chunks.push(c);
      if (!sawInterim && opts.onInterim && Buffer.concat(chunks).includes('HTTP/1.1 100')) {
        sawInterim = true;
        opts.onInterim((b) => s.write(b));
      }
    });
    s.on('end', () => resolve(Buffer.concat(chunks)));
    s.on('error', reject);
    s.write(request);
  });
}

/** Parse the responses in `data`, one per request method given (HEAD responses have no body). */
export function parseResponses(data: Buffer, methods: string[]): RawResponse[] {
  const out: RawResponse[] = [];
  let pos = 0;
  for (const method of methods) {
    const interim: number[] = [];
    for (;;) {
      const end = data.indexOf('\r\n\r\n', pos);
      if (end < 0) throw new Error(`incomplete response head at ${pos}: ${data.subarray(pos, pos + 200).toString()}`);
      const lines = data.subarray(pos, end).toString('latin1').split('\r\n');
      pos = end + 4;
      const status = Number(lines[0]!.split(' ')[1]);
      const headers = lines.slice(1).map((l) => {
        const i = l.indexOf(':');
        return [l.slice(0, i), l.slice(i + 1).trim()] as [string, string];
      });
      if (status >= 100 && status < 200) {
        interim.push(status);
        continue;
      }
      const r: RawResponse = { status, headers, body: Buffer.alloc(0), interim };
      const len = header(r, 'content-length');
      if (method === 'HEAD' || status === 204 || status === 304) {
        // no body
      } else if (header(r, 'transfer-encoding')?.toLowerCase() === 'chunked') {
        const parts: Buffer[] = [];
        for (;;) {
          const eol = data.indexOf('\r\n', pos);
          const size = Number.parseInt(data.subarray(pos, eol).toString(), 16);
          pos = eol + 2;
          if (size === 0) {
            pos = data.indexOf('\r\n', pos) + 2; // no trailers expected
            break;
          }
          parts.push(data.subarray(pos, pos + size));
          pos += size + 2;
        }
        r.body = Buffer.concat(parts);
      } else if (len !== undefined) {
        r.body = data.subarray(pos, pos + Number(len));
        pos += Number(len);
      } else {
        r.body = data.subarray(pos);
        pos = data.length;
      }
      out.push(r);
      break;
    }
  }
  return out;
}
