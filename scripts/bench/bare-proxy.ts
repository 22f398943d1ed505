/**
 * The floor for bench:proxy: the least a Node proxy can do (node:http in, an undici pool out,
 * headers and body passed through, nothing else: no hop-by-hop rules, no logging, no metrics, no
 * search inspection). Measured in the same run as vlrerank, it shows how much of the gap to direct
 * is the cost of any Node hop on this machine and how much is vlrerank's own.
 *
 *   tsx scripts/bench/bare-proxy.ts <port> <upstream-url>
 */
import { createServer } from 'node:http';
import { Pool } from 'undici';

const [port, upstream] = [Number(process.argv[2]), process.argv[3]!];
const pool = new Pool(upstream, { connections: 64 });
createServer((req, res) => {
  const hasBody = req.headers['transfer-encoding'] !== undefined || (req.headers['content-length'] ?? '0') !== '0';
  pool
    .request({ method: req.method as 'GET', path: req.url!, headers: req.headers, body: hasBody ? req : null })
    .then((up) => {
      res.writeHead(up.statusCode, up.headers as Record<string, string>);
      up.body.pipe(res);
    })
    .catch(() => {
      res.writeHead(502).end();
    });
}).listen(port, '127.0.0.1', () => process.stdout.write(`bare proxy on ${port}\n`));
// exit on SIGTERM through process.exit, so that `--cpu-prof` writes its profile
process.once('SIGTERM', () => process.exit(0));
