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

export async function countingRelay(target: string): Promise<CountingRelay> {
  const seen: string[] = [];
  const heard: CountingRelay['heard'] = [];
  const to = new URL(target);
  const srv = createServer((req, res) => {
    seen.push(`${req.method} ${req.url}`);
    heard.push({ line: `${req.method} ${req.url}`, headers: { ...req.headers } });
    const up = request({ host: to.hostname, port: to.port, method: req.method, path: req.url, headers: { ...req.headers, host: to.host } }, (r) => {
      res.writeHead(r.statusCode ?? 502, r.rawHeaders);
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
