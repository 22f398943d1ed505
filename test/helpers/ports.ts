/**
 * Ports for the servers a test starts as other processes (nginx, HAProxy, tinyproxy, redis-server,
 * an engine of its own), and the port for "nothing listens there".
 *
 * `freePort()` asks the kernel for a port it has free (listen on 0, close) and never returns one it
 * returned before in this process. Linux hands a just-closed port to the next listen on 0 about once
 * in 10,000 (bind(0) draws only from the odd ports of the lower half of the ephemeral range), so two
 * calls of one test file — nginx's listeners, an engine's HTTP and transport ports, a Redis server's
 * TLS and plain ports — could name the same port: the second server then fails to start, or nginx
 * merges two `server` blocks on one port and answers from the wrong one.
 *
 * A port from `freePort()` is free only until someone binds it: never use one as "a server that is
 * down" (the kernel may give it to the next server the test starts in this process, or to another
 * process; CI's engine-behind-nginx run met the engine-down port answering 504). Use `REFUSED_PORT`.
 */
import { createServer } from 'node:net';

/**
 * A TCP port on 127.0.0.1 where every connection is refused (ECONNREFUSED) for the whole run: the
 * discard port, below 1024, so the kernel never hands it out for listen(0) or connect(), and nothing
 * this suite starts binds it (the suite's other "engine down" URLs use it too).
 */
export const REFUSED_PORT = 9;

const issued = new Set<number>();

export async function freePort(): Promise<number> {
  for (;;) {
    const port = await new Promise<number>((resolve, reject) => {
      const s = createServer();
      s.once('error', reject);
      s.listen(0, '127.0.0.1', () => {
        const p = (s.address() as { port: number }).port;
        s.close(() => resolve(p));
      });
    });
    if (issued.has(port)) continue;
    issued.add(port);
    return port;
  }
}
