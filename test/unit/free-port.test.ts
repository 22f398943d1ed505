/**
 * The test helpers' freePort(): free when asked, and never a port it gave before in this file — the
 * kernel re-issues just-closed ports (500 listen-on-0-and-close calls here gave 15–26 repeats), and a
 * file that starts nginx with four listeners, or a Redis primary, replica and sentinels, asks several.
 * REFUSED_PORT: connections there are refused, as the "server down" tests need.
 */
import { connect, createServer } from 'node:net';
import { expect, it } from 'vitest';
import { freePort, REFUSED_PORT } from '../helpers/ports.js';

it('500 calls give 500 different ports, each one a server can listen on', async () => {
  const ports: number[] = [];
  for (let i = 0; i < 500; i++) ports.push(await freePort());
  expect(new Set(ports).size).toBe(500);
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(ports.at(-1), '127.0.0.1', r));
  await new Promise((r) => srv.close(r));
});

it('REFUSED_PORT refuses connections', async () => {
  const err = await new Promise<NodeJS.ErrnoException>((resolve) => connect(REFUSED_PORT, '127.0.0.1').once('error', resolve));
  expect(err.code).toBe('ECONNREFUSED');
});
