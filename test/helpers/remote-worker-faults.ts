/**
 * Remote rerank workers that misbehave in ways a real vlrerank worker cannot: each a few lines,
 * named after its fault, answering every `POST …/rerank` (and anything else) the same way. A real
 * `vlrerank serve --role worker` stands for a worker that behaves (spawnRerankProcess).
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { gzipSync } from 'node:zlib';

type Sent = { documents: unknown[] };
type Fault = (req: IncomingMessage, res: ServerResponse, sent: Sent) => void;

const json = (res: ServerResponse, status: number, body: string, headers: Record<string, string> = {}) => {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(body);
};
/** `{"results":[…]}` with one raw JSON score text per document sent. */
const answer = (sent: Sent, score: (i: number) => string) => `{"results":[${sent.documents.map((_, i) => `{"index":${i},"relevance_score":${score(i)}}`).join(',')}]}`;

export const FAULTS = {
  /** A cross-encoder's raw logits (as Xinference returns them): 4 > 2.5 > -1 > -3. */
  'worker-answers-logits': (_q, s, sent) => json(s, 200, answer(sent, (i) => String([-3, 4, 2.5, -1][i % 4]))),
  /** The first document scored 1e999 (JSON.parse reads Infinity), the others 0.5. */
  'worker-answers-infinity': (_q, s, sent) => json(s, 200, answer(sent, (i) => (i === 0 ? '1e999' : '0.5'))),
  /** Every document scored, and one more result for an index the request does not have. */
  'worker-index-out-of-range': (_q, s, sent) => json(s, 200, `${answer(sent, () => '0.5').slice(0, -2)},{"index":${sent.documents.length},"relevance_score":1}]}`),
  /** Document 0 twice, the last one never. */
  'worker-repeats-an-index': (_q, s, sent) => json(s, 200, answer(sent, () => '0.5').replace(`"index":${sent.documents.length - 1}`, '"index":0')),
  /** `results` is null. */
  'worker-answers-null-results': (_q, s) => json(s, 200, '{"results":null}'),
  /** Scores as strings. */
  'worker-answers-string-scores': (_q, s, sent) => json(s, 200, answer(sent, () => '"0.5"')),
  /** A correct answer padded to 10 MiB. */
  'worker-answers-10-MiB': (_q, s, sent) => json(s, 200, `${answer(sent, () => '0.5').slice(0, -1)},"pad":"${'x'.repeat(10 * 1024 * 1024)}"}`),
  /** A correct answer (scores 0.1·i: the last document first), gzipped though nobody asked. */
  'worker-answers-gzip': (_q, s, sent) => {
    s.writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'gzip' });
    s.end(gzipSync(answer(sent, (i) => String(0.1 * i))));
  },
  /** A 401 that repeats the credentials it was sent. */
  'worker-401-echoes-the-key': (q, s) => json(s, 401, JSON.stringify({ message: `invalid credentials: ${q.headers.authorization}` })),
  /** Too many requests: try again in 120 s. */
  'worker-429-retry-after': (_q, s) => json(s, 429, '{"message":"slow down"}', { 'retry-after': '120' }),
} satisfies Record<string, Fault>;

export type FaultName = keyof typeof FAULTS;

export interface FaultWorker {
  url: string;
  /** Rerank calls it answered. */
  calls: number;
  close(): Promise<void>;
}

export async function startFaultWorker(name: FaultName): Promise<FaultWorker> {
  const fault: Fault = FAULTS[name];
  const w: FaultWorker = { url: '', calls: 0, close: async () => undefined };
  const server = createServer(async (req, res) => {
    let body = '';
    for await (const c of req) body += c;
    if (req.method !== 'POST') return json(res, 404, '{}');
    w.calls++;
    fault(req, res, JSON.parse(body) as Sent);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  w.url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  w.close = () =>
    new Promise<void>((r) => {
      server.closeAllConnections();
      server.close(() => r());
    });
  return w;
}
