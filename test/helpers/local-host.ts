/**
 * A plain HTTP server of a test's own (a media host, a slow or counting host) on 127.0.0.1: listen
 * on a free port and say its URL; close it with its connections, held answers included.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export async function listenLocal(server: Server): Promise<string> {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

export async function closeLocal(server: Server | undefined): Promise<void> {
  if (!server) return;
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
}

/** A media host that never answers (only the client's abort, or closeLocal, ends a request to it). */
export async function silentHost(): Promise<{ server: Server; url: string }> {
  const server = createServer(() => undefined);
  return { server, url: await listenLocal(server) };
}
