/**
 * Small HTTP servers that stand in for an upstream where a real engine cannot play the part:
 * each is named after the fault it plays (a refused port, an upstream that never answers, one
 * that stalls mid-body, one that resets after reading the request) or after what it measures
 * (echoing the headers that reached the upstream; a sink that counts and hashes a body too big
 * for Elasticsearch's 100 MB http.max_content_length).
 */
import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createNetServer, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';

export interface Fake {
  url: string;
  /** Requests that reached it. */
  hits: number;
  close(): Promise<void>;
}

async function listen(server: Server | ReturnType<typeof createNetServer>, sockets: Set<Socket>): Promise<{ url: string; close: () => Promise<void> }> {
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}

function fake(handler: (req: IncomingMessage, res: ServerResponse, self: Fake) => void): Promise<Fake> {
  const sockets = new Set<Socket>();
  const self = { url: '', hits: 0, close: async () => {} } as Fake;
  const server = createServer((req, res) => {
    self.hits++;
    handler(req, res, self);
  });
  return listen(server, sockets).then(({ url, close }) => Object.assign(self, { url, close }));
}

/** A loopback URL whose port refuses connections (bound, then released). */
export async function refusedUpstream(): Promise<string> {
  const s = createNetServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const { port } = s.address() as AddressInfo;
  await new Promise<void>((r) => s.close(() => r()));
  return `http://127.0.0.1:${port}`;
}

/** Accepts the request and never answers (headers time-out). */
export function neverAnsweringUpstream(): Promise<Fake> {
  return fake((req) => req.resume());
}

/**
 * A node left without an elected master (two of three master-eligible nodes gone): searches answer,
 * `_cluster/health` waits for a master (`master_timeout`, 30 s: here never), and
 * `_cluster/health?local=true` answers at once from the node's own state, `red`.
 */
export function masterlessNodeUpstream(): Promise<Fake> {
  return fake((req, res) => {
    req.resume();
    const u = new URL(req.url ?? '/', 'http://x');
    if (u.pathname === '/_cluster/health' && u.searchParams.get('local') !== 'true') return;
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(u.pathname === '/_cluster/health' ? '{"status":"red"}' : '{}');
  });
}

/** Never answers requests to `/stalled…` (an engine stuck on some searches); answers `{}` to every other at once. */
export function stalledOnOnePathUpstream(): Promise<Fake> {
  return fake((req, res) => {
    req.resume();
    if (req.url?.startsWith('/stalled')) return;
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end('{}');
  });
}

/** Sends the headers and a first chunk, then stalls forever (body time-out). */
export function stallingBodyUpstream(): Promise<Fake> {
  return fake((req, res) => {
    req.resume();
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': '1000' });
    res.write('{"hits":');
  });
}

/** Reads the whole request, then resets the connection without answering. */
export function resetAfterRequestUpstream(): Promise<Fake> {
  return fake((req, res) => {
    req.resume();
    req.on('end', () => res.socket?.destroy());
  });
}

/**
 * Answers with the raw request headers it received, and sends hop-by-hop headers of its own.
 * Written on a bare socket: Node's server will not send `Trailer` with a Content-Length.
 */
export async function headerEchoUpstream(): Promise<Fake> {
  const sockets = new Set<Socket>();
  const self = { url: '', hits: 0, close: async () => {} } as Fake;
  const server = createNetServer((sock) => {
    let buf = Buffer.alloc(0);
    sock.on('data', (c: Buffer) => {
      buf = Buffer.concat([buf, c]);
      for (;;) {
        const end = buf.indexOf('\r\n\r\n');
        if (end < 0) return;
        const lines = buf.subarray(0, end).toString('latin1').split('\r\n');
        const rawHeaders = lines.slice(1).flatMap((l) => {
          const i = l.indexOf(':');
          return [l.slice(0, i), l.slice(i + 1).trim()];
        });
        const lenIdx = rawHeaders.findIndex((h, i) => i % 2 === 0 && h.toLowerCase() === 'content-length');
        const len = lenIdx >= 0 ? Number(rawHeaders[lenIdx + 1]) : 0;
        if (buf.length < end + 4 + len) return;
        buf = buf.subarray(end + 4 + len);
        self.hits++;
        const [method, url] = lines[0]!.split(' ');
        const body = JSON.stringify({ method, url, rawHeaders });
        sock.write(
          [
            'HTTP/1.1 200 OK',
            'Content-Type: application/json',
            `Content-Length: ${Buffer.byteLength(body)}`,
            'X-Elastic-Product: Elasticsearch',
            'Connection: keep-alive, X-Hop-Secret',
            'X-Hop-Secret: must-not-pass',
            'Keep-Alive: timeout=5',
            'Proxy-Authenticate: Basic realm="upstream"',
            'Upgrade: h2c',
            'Trailer: X-Checksum',
            'X-End-To-End: kept',
            'Set-Cookie: a=1',
            'Set-Cookie: b=2',
            '',
            body,
          ].join('\r\n'),
        );
      }
    });
  });
  const { url, close } = await listen(server, sockets);
  return Object.assign(self, { url, close });
}

export interface Sink extends Fake {
  /** Bytes and sha256 of the last request body. */
  last: { bytes: number; sha256: string; chunked: boolean };
  /** Exchanges cut before they completed (request body not ended, or answer not finished). */
  aborted: number;
  /** Requests to a `_bulk` path that reached it (begun, not necessarily complete): `hits` counts the proxy's own engine probes too. */
  bulks: number;
}

/**
 * Consumes a request body of any size without holding it (counts and hashes it) and answers
 * like _bulk; `GET /_big?bytes=N` streams N bytes back in chunks.
 */
export async function bulkSink(): Promise<Sink> {
  const f = (await fake((req, res, self) => {
    const sink = self as Sink;
    res.on('close', () => {
      if (!res.writableFinished) sink.aborted++;
    });
    const u = new URL(req.url!, 'http://x');
    if (u.pathname.endsWith('/_bulk')) sink.bulks++;
    if (req.method === 'GET' && u.pathname === '/_big') {
      req.resume();
      let left = Number(u.searchParams.get('bytes'));
      const chunk = Buffer.alloc(64 * 1024, 'x');
      res.writeHead(200, { 'content-type': 'application/octet-stream' });
      const pump = () => {
        while (left > 0) {
          const n = Math.min(left, chunk.length);
          left -= n;
          if (!res.write(n === chunk.length ? chunk : chunk.subarray(0, n))) return void res.once('drain', pump);
        }
        res.end();
      };
      pump();
      return;
    }
    const hash = createHash('sha256');
    let bytes = 0;
    req.on('data', (c: Buffer) => {
      bytes += c.length;
      hash.update(c);
    });
    req.on('end', () => {
      sink.last = { bytes, sha256: hash.digest('hex'), chunked: req.headers['transfer-encoding'] === 'chunked' };
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ took: 1, errors: false, items: [] }));
    });
  })) as Sink;
  f.last = { bytes: 0, sha256: '', chunked: false };
  f.aborted = 0;
  f.bulks = 0;
  return f;
}

/** A fault a `faultyEngineRelay` plays on its next request whose path holds the armed part. */
export type EngineFault =
  /** the engine's answer starts (status, headers, half its first chunk), then the connection closes */
  | 'close-mid-answer'
  /** the engine's search queue is full: its own 429 with `Retry-After` and a `Warning` */
  | 'reject-429';

export interface FaultyRelay extends Fake {
  /** Play `fault` on the next `times` requests whose path contains `pathPart` (a 429's `Retry-After`: `retryAfter`, default 7). */
  arm(fault: EngineFault, pathPart: string, times?: number, retryAfter?: string): void;
}

/**
 * A relay in front of a real engine that plays an engine's misbehaviour a real one will not show
 * on demand (closing the connection mid-answer, refusing with its own 429); every other request
 * is forwarded to the engine and its answer relayed unchanged.
 */
export async function faultyEngineRelay(target: string): Promise<FaultyRelay> {
  const { request } = await import('node:http');
  const up = new URL(target);
  let armed: { fault: EngineFault; pathPart: string; times: number; retryAfter: string } | undefined;
  const f = (await fake((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const hit = armed && armed.times > 0 && req.url!.includes(armed.pathPart) ? armed.fault : undefined;
      if (hit) armed!.times--;
      if (hit === 'reject-429') {
        const body = JSON.stringify({
          error: { root_cause: [{ type: 'es_rejected_execution_exception', reason: 'rejected execution (queue capacity 1000)' }], type: 'es_rejected_execution_exception', reason: 'rejected execution (queue capacity 1000)' },
          status: 429,
        });
        res.writeHead(429, { 'content-type': 'application/json', 'x-elastic-product': 'Elasticsearch', 'retry-after': armed!.retryAfter, warning: '299 Elasticsearch-8.19.0 "search queue full"', 'content-length': Buffer.byteLength(body) });
        return res.end(body);
      }
      const out = request({ host: up.hostname, port: up.port, method: req.method, path: req.url, headers: req.headers }, (answer) => {
        if (hit === 'close-mid-answer') {
          const headers = { ...answer.headers };
          delete headers['content-length'];
          res.writeHead(answer.statusCode!, headers);
          answer.once('data', (c: Buffer) => {
            res.write(c.subarray(0, Math.max(1, c.length >> 1)));
            setTimeout(() => req.socket.destroy(), 20);
          });
          return;
        }
        res.writeHead(answer.statusCode!, answer.headers);
        answer.pipe(res);
      });
      out.on('error', () => res.destroy());
      out.end(Buffer.concat(chunks));
    });
  })) as FaultyRelay;
  f.arm = (fault, pathPart, times = 1, retryAfter = '7') => (armed = { fault, pathPart, times, retryAfter });
  return f;
}
