/**
 * A plain HTTP relay in front of a real engine that writes down every request it passes on
 * (`METHOD /path?query`, and its headers): the engine calls vlrerank makes, counted where they leave it. Requests and
 * answers go through unchanged (status, headers, body).
 */
import { createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface CountingRelay {
  url: string;
  /** Every request passed on so far, in order. */
  seen: string[];
  /** The same requests with the headers each came with (names in lower case). */
  heard: Array<{ line: string; headers: Record<string, string | string[] | undefined> }>;
  close(): Promise<void>;
}

/** Raw headers without `Connection` and `Keep-Alive` (hop-by-hop: each side's own). */
export function withoutConnectionHeaders(raw: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < raw.length; i += 2) if (!/^(connection|keep-alive)$/i.test(raw[i]!)) out.push(raw[i]!, raw[i + 1]!);
  return out;
}

/** `before`: awaited before a request is passed on (a slow engine: a test holds a search in flight until it says). */
export async function countingRelay(target: string, opts: { before?: (line: string) => Promise<void> | void } = {}): Promise<CountingRelay> {
  const seen: string[] = [];
  const heard: CountingRelay['heard'] = [];
  const to = new URL(target);
  const srv = createServer(async (req, res) => {
    seen.push(`${req.method} ${req.url}`);
    heard.push({ line: `${req.method} ${req.url}`, headers: { ...req.headers } });
    await opts.before?.(`${req.method} ${req.url}`);
    // one connection to the engine per request (a kept-alive one was now and then reset by the
    // engine as it was reused: `socket hang up`, a test's own set-up call failed); the connection
    // with vlrerank keeps its own keep-alive (the engine's `connection: close` is not passed on)
    const { connection: _c, 'keep-alive': _k, ...headers } = req.headers;
    const up = request({ host: to.hostname, port: to.port, method: req.method, path: req.url, headers: { ...headers, host: to.host }, agent: false }, (r) => {
      res.writeHead(r.statusCode ?? 502, withoutConnectionHeaders(r.rawHeaders));
      r.pipe(res);
    });
    up.on('error', () => res.destroy());
    req.pipe(up);
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(srv.address() as AddressInfo).port}`,
    seen,
    heard,
    close: () => new Promise<void>((r) => {
      srv.close(() => r());
      srv.closeAllConnections(); // the proxy keeps its connections alive
    }),
  };
}
