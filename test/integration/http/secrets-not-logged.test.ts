/**
 * Secrets never reach the logs or the metrics (issue 13 §5), from `vlrerank serve` as users run it,
 * its stdout and stderr captured whole: credentials sent in headers (Authorization, Cookie,
 * x-api-key, a wrong admin token), in query strings (token, api_key, access_token, password…, the
 * right admin token in `?token=`, which is refused: the token is accepted only in a header), in an
 * absolute-form request target with userinfo, in a stored document's media URL that the reranker
 * cannot read (its error is logged as a warning), and a data: payload. Every one of them: 0
 * occurrences. The lines that would have carried them are there, redacted (so the test cannot pass
 * by logging nothing).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { useEngine } from '../../helpers/engines.js';
import { listeningUrl } from '../../helpers/listening.js';
import { DATA, MODELS, REPO_ROOT } from '../../helpers/paths.js';
import { parseResponses, rawExchange } from '../../helpers/raw-http.js';

const INDEX = 'hard-http-secrets';
const ADMIN = 'admin-Tok3n-never-logged';
const SECRETS = {
  bearer: 'bearer-S3cret-1',
  cookie: 'cookie-S3cret-2',
  apiKeyHeader: 'apikeyhdr-S3cret-3',
  wrongAdmin: 'wrongadmin-S3cret-4',
  token: 'query-token-S3cret-5',
  apiKey: 'query-apikey-S3cret-6',
  accessToken: 'query-access-S3cret-7',
  password: 'query-password-S3cret-8',
  userinfo: 'userinfo-S3cret-9',
  mediaUser: 'media-user-S3cret-10',
  mediaSig: 'media-sig-S3cret-11',
  dataPayload: 'dataPayloadS3cret12',
  admin: ADMIN,
};
let es: string;

beforeAll(async () => {
  es = await useEngine('elasticsearch');
  await fetch(`${es}/${INDEX}`, { method: 'DELETE' });
  const doc = { title: 'oat drink', image: `http://u:${SECRETS.mediaUser}@127.0.0.1:9/oat.jpg?signature=${SECRETS.mediaSig}` };
  await fetch(`${es}/${INDEX}/_doc/1?refresh=true`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify(doc) });
});
afterAll(async () => {
  await fetch(`${es}/${INDEX}`, { method: 'DELETE' });
});

it('writes no credential sent in any header, query string or URL to its logs or metrics', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'vlr-secrets-'));
  const pipelines = join(dir, 'pipelines');
  const { mkdirSync } = await import('node:fs');
  mkdirSync(pipelines);
  writeFileSync(join(pipelines, 'p.yaml'), `name: hard-http-secrets\nindex_patterns: [${INDEX}]\nbudget_ms: 120000\nfields: {text: [title], image: [image]}\n`);
  const config = join(dir, 'config.yaml');
  writeFileSync(config, `rerank: {warmup: false}\nmodels: {dir: ${JSON.stringify(MODELS)}, intraOpThreads: 1}\nmedia: {roots: [${JSON.stringify(DATA)}]}\nlog: {level: info, access: true}\n`);
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'serve', '--config', config, '--port', '0', '--host', '127.0.0.1', '--upstream', es], {
    cwd: REPO_ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('VLRERANK_'))), VLRERANK_ADMIN_TOKEN: ADMIN, VLRERANK_PIPELINES_DIR: pipelines },
  });
  let out = '';
  child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (out += c.toString()));
  const exited = new Promise<number | null>((r) => child.once('exit', r));
  const url = await listeningUrl(child);

  // headers, and query strings on the streaming proxy path
  const q = `token=${SECRETS.token}&api_key=${SECRETS.apiKey}&Access_Token=${SECRETS.accessToken}&PASSWORD=${SECRETS.password}`;
  const r1 = await fetch(`${url}/${INDEX}/_doc/1?${q}`, { headers: { authorization: `Bearer ${SECRETS.bearer}`, cookie: `sid=${SECRETS.cookie}`, 'x-api-key': SECRETS.apiKeyHeader } });
  await r1.arrayBuffer();
  // the admin token: wrong in a header, right in the query string → both refused
  const r2 = await fetch(`${url}/_vlrerank/models/no-such-model/_load`, { method: 'POST', headers: { 'x-vlrerank-admin-token': SECRETS.wrongAdmin } });
  expect(r2.status).toBe(401);
  await r2.arrayBuffer();
  const r3 = await fetch(`${url}/_vlrerank/models/no-such-model/_load?token=${ADMIN}`, { method: 'POST' });
  expect(r3.status).toBe(401);
  await r3.arrayBuffer();
  // an absolute-form request target with userinfo
  const [r4] = parseResponses(await rawExchange(url, `GET http://elastic:${SECRETS.userinfo}@127.0.0.1/_vlrerank/health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`), ['GET']);
  expect(r4!.status).toBeLessThan(500);
  // a data: payload in a query string
  const r5 = await fetch(`${url}/_vlrerank/media?src=data:image/png;base64,${'A'.repeat(3000)}${SECRETS.dataPayload}`);
  await r5.arrayBuffer();
  // a reranked search whose stored photo URL carries credentials and cannot be read (logged as a warning)
  const r6 = await fetch(`${url}/${INDEX}/_search`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: { match_all: {} }, ext: { vlrerank: { query: 'oat milk' } } }) });
  const b6 = (await r6.json()) as { vlrerank?: { document_errors?: { count: number } } };
  expect(r6.status, JSON.stringify(b6)).toBe(200);
  expect(b6.vlrerank?.document_errors?.count, JSON.stringify(b6)).toBe(1);
  expect(b6.vlrerank?.document_errors?.count).toBe(1);
  const metrics = await (await fetch(`${url}/_vlrerank/metrics`)).text();

  child.kill('SIGTERM');
  expect(await exited).toBe(0);

  const logged = out + metrics;
  for (const [name, secret] of Object.entries(SECRETS)) expect(logged.split(secret).length - 1, `${name} in the logs or metrics`).toBe(0);
  // the lines are there, redacted
  expect(out).toContain(`/${INDEX}/_doc/1?token=[redacted]&api_key=[redacted]`);
  expect(out).toContain('/_vlrerank/models/no-such-model/_load?token=[redacted]');
  // an absolute-form target is served, and logged, as its origin form: the userinfo is gone (src/http/handler.ts originForm)
  expect(out).toContain('"path":"/_vlrerank/health"');
  expect(out).not.toContain('http://[redacted]@127.0.0.1');
  expect(out).toContain('hits whose media could not be read');
});
