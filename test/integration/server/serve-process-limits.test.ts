/**
 * Out of file descriptors (held-out probe round 18a). Under `ulimit -n 256` and 300 clients
 * `vlrerank serve` answered every reranked search, passthrough and ingest 502 `upstream_exception`
 * "connect EMFILE … - Local (undefined:undefined)", photos were the document error
 * `media_forbidden_exception` "cannot be opened", and the log said nothing at all.
 *
 * 1. Real EMFILE in a child process under `ulimit -n 512` that fills its descriptors with
 *    /dev/null: a media read and an upstream connect (undici to a real local HTTP server) are each
 *    `VLR_OPEN_FILES` (503 `open_files_limit_exception`) naming `ulimit -n 512`.
 * 4. A model session loaded while descriptors are out (fix19b; 18a saw the 500 `inference_exception`
 *    "loading failed for nanodet-g-coco: EMFILE …"): `VLR_OPEN_FILES` whichever thread met it, and
 *    loaded on the next use once descriptors are back (a failed load is not kept).
 * 3. An address-space limit (`ulimit -v`) below what Node needs: SIGSEGV at 16 GB, an uncaught Wasm
 *    "Out of memory" at 8 GB, no engine reachable at 24 GB — now refused at start, exit 2, naming it.
 * 2. `vlrerank serve` under `ulimit -n 256`: the start log says the client connections it holds
 *    (server.maxConnections, sized from the limit); idle connections past it close the longest-idle
 *    admitted one (408, connection-slowloris.test.ts) or, a burst past the reserve kept to answer
 *    them 503 (connection-cap.test.ts), are closed at the door — warned naming the limit and
 *    counted — and once they close the server answers again.
 */
import { spawn, execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, expect, it } from 'vitest';
import { listeningUrl } from '../../helpers/listening.js';
import { DATA, MODELS, REPO_ROOT } from '../../helpers/paths.js';

const noModels = mkdtempSync(join(tmpdir(), 'vlr-nomodels-'));
afterAll(() => rmSync(noModels, { recursive: true, force: true }));

it('EMFILE on a media read and on an upstream connect: 503 VLR_OPEN_FILES naming ulimit -n', { timeout: 120_000 }, async () => {
  const photo = join(DATA, 'skimage-clip-smoke/images/rocket.jpg');
  const script = `
    import { openSync, closeSync } from 'node:fs';
    import { createServer } from 'node:http';
    import { request } from 'undici';
    import { readFileBounded } from './src/features/media/local.ts';
    import { translateUpstreamError } from './src/proxy/translate.ts';
    const server = createServer((q, r) => r.end('{}'));
    await new Promise((r) => server.listen(0, '127.0.0.1', r));
    const url = 'http://127.0.0.1:' + server.address().port + '/';
    const held = [];
    try { for (;;) held.push(openSync('/dev/null', 'r')); } catch (e) { if (e.code !== 'EMFILE') throw e; }
    const out = {};
    await readFileBounded(process.argv[1], 1 << 24, 'rocket.jpg').then(() => (out.media = 'read'), (e) => (out.media = { code: e.code, status: e.status, type: e.type, reason: e.message }));
    await request(url).then(() => (out.upstream = 'answered'), (e) => { const v = translateUpstreamError(e, url, { connectTimeoutMs: 1000, headersTimeoutMs: 1000, bodyTimeoutMs: 1000 }); out.upstream = { code: v.code, status: v.status, reason: v.message }; });
    for (const fd of held) closeSync(fd);
    console.log(JSON.stringify(out));
    process.exit(0);`;
  const { stdout } = await promisify(execFile)('bash', ['-c', 'ulimit -n 512 && exec "$0" --import tsx --input-type=module -e "$1" "$2"', process.execPath, script, photo], { cwd: REPO_ROOT, timeout: 100_000 });
  const out = JSON.parse(stdout.trim().split('\n').pop()!);
  expect(out.media).toMatchObject({ code: 'VLR_OPEN_FILES', status: 503, type: 'open_files_limit_exception', reason: expect.stringContaining('ulimit -n 512') });
  expect(out.upstream).toMatchObject({ code: 'VLR_OPEN_FILES', status: 503, reason: expect.stringMatching(/no connection to upstream .* could be opened: .*ulimit -n 512/) });
});

it('a model session that fails to load for want of descriptors is VLR_OPEN_FILES (hash read, native load in the worker, on the main thread) and loads once they are back', { timeout: 180_000 }, async () => {
  // a real EMFILE: a child under ulimit -n 512 fills its descriptors with /dev/null, then loads
  // nanodet three ways — its file's first sha256 read (this thread's fs), onnxruntime's native load
  // in the inference worker (kept alive by a loaded bge), and the native load on the main thread
  const script = `
    import { openSync, closeSync } from 'node:fs';
    import { ModelRegistry } from './src/models/registry.ts';
    const out = {};
    const fill = () => { const held = []; try { for (;;) held.push(openSync('/dev/null', 'r')); } catch (e) { if (e.code !== 'EMFILE') throw e; } return held; };
    for (const [name, thread, warm] of [['hash', 'worker', false], ['worker', 'worker', true], ['main', 'main', true]]) {
      const reg = await ModelRegistry.create({ dir: process.argv[1], inferenceThread: thread });
      const s = reg.session('nanodet-g-coco');
      if (warm) { await reg.session('bge-small-en-v1.5').load(); await s.load(); await s.unload(); }
      const held = fill();
      const first = await s.load().then(() => 'loaded', (e) => ({ code: e.code, status: e.status, type: e.type, reason: e.message }));
      for (const fd of held) closeSync(fd);
      const again = await s.load().then(() => s.state, (e) => e.message);
      out[name] = { first, again };
      await reg.close();
    }
    console.log(JSON.stringify(out));
    process.exit(0);`;
  const { stdout } = await promisify(execFile)('bash', ['-c', 'ulimit -n 512 && exec "$0" --import tsx --input-type=module -e "$1" "$2"', process.execPath, script, MODELS], { cwd: REPO_ROOT, timeout: 150_000 });
  const out = JSON.parse(stdout.trim().split('\n').pop()!);
  for (const path of ['hash', 'worker', 'main']) {
    expect(out[path], path).toEqual({
      first: { code: 'VLR_OPEN_FILES', status: 503, type: 'open_files_limit_exception', reason: expect.stringMatching(/^loading model nanodet-g-coco: .*\(EMFILE, ulimit -n 512\)/) },
      again: 'loaded',
    });
  }
});

it('serve under ulimit -n 256: client connections capped from the limit, the ones past it warned and counted, served again after', { timeout: 180_000 }, async () => {
  const child = spawn('bash', ['-c', 'ulimit -n 256 && exec "$@"', 'sh', process.execPath, '--import', 'tsx', 'src/cli/main.ts', 'serve', '--port', '0', '--host', '127.0.0.1', '--upstream', 'http://127.0.0.1:9'], {
    cwd: REPO_ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, VLRERANK_LOG_LEVEL: 'info', VLRERANK_STORE_DISK_PATH: 'off', VLRERANK_MODELS_DIR: noModels },
  });
  let out = '';
  child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (out += c.toString()));
  const exited = new Promise((r) => child.once('exit', r));
  try {
    const url = new URL(await listeningUrl(child, { timeoutMs: 120_000 }));
    for (let i = 0; i < 400 && !out.includes('client connections at once'); i++) await new Promise((r) => setTimeout(r, 25));
    expect(out).toContain('open files limit (ulimit -n) 256: at most 64 client connections at once (server.maxConnections)');
    // 100 idle clients: 64 admitted; each one past them closes the admitted one idle longest (408, fix20a: slowloris), and a
    // burst past cap + reserve within one turn of the event loop is still closed at the door (fix19b's bound on descriptors)
    const sockets: Socket[] = await Promise.all(Array.from({ length: 100 }, () => new Promise<Socket>((resolve) => { const s = connect(Number(url.port), url.hostname, () => resolve(s)); s.on('error', () => undefined); })));
    for (let i = 0; i < 400 && !out.includes('to let a new one in'); i++) await new Promise((r) => setTimeout(r, 25));
    expect(out).toMatch(/"level":40.*"kind":"no_request".*client connections at server.maxConnections \(64, sized from the open files limit ulimit -n 256\): a connection with no complete request head was answered 408 and closed to let a new one in/);
    // every client past the 64 had a place made for it or was closed at the door, counted — read while they are all still open
    // (each scrape is a connection of its own: it makes room too, and is served)
    const passed = async () => {
      const metrics = await fetch(`${url.origin}/_vlrerank/metrics`).then((r) => r.text(), () => '');
      const shed = Number(/vlrerank_connections_shed_total\{kind="no_request"\} (\d+)/.exec(metrics)?.[1] ?? 0);
      return { shed, dropped: Number(/vlrerank_open_files_exhausted_total\{where="accept"\} (\d+)/.exec(metrics)?.[1] ?? 0) };
    };
    let seen = await passed();
    for (let i = 0; i < 200 && seen.shed + seen.dropped < 36; i++) {
      await new Promise((r) => setTimeout(r, 50));
      seen = await passed();
    }
    expect(seen.shed).toBeGreaterThan(0);
    expect(seen.shed + seen.dropped).toBeGreaterThanOrEqual(36);
    for (const s of sockets) s.destroy();
    let health = 0;
    for (let i = 0; i < 100 && health !== 200; i++) {
      health = await fetch(`${url.origin}/_vlrerank/health?live`).then((r) => r.status, () => 0);
      if (health !== 200) await new Promise((r) => setTimeout(r, 50));
    }
    expect(health).toBe(200);
  } finally {
    child.kill('SIGTERM');
    await exited;
  }
});

it('serve under an address-space limit it cannot start under (ulimit -v 16 GB): refused, naming the limit, not a SIGSEGV', { timeout: 180_000 }, async () => {
  // compiled (tsx itself instantiates WebAssembly, which this limit refuses), into a folder of the
  // checkout so that node_modules and package.json resolve as they do from dist/
  const out = mkdtempSync(join(REPO_ROOT, '.test-dist-'));
  try {
    await promisify(execFile)(process.execPath, [join(REPO_ROOT, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json', '--outDir', out], { cwd: REPO_ROOT, timeout: 150_000 });
    const run = await promisify(execFile)('bash', ['-c', 'ulimit -v 16000000 && exec "$0" "$1" serve --port 0 --host 127.0.0.1 --upstream http://127.0.0.1:9', process.execPath, join(out, 'cli/main.js')], {
      cwd: REPO_ROOT,
      timeout: 100_000,
      env: { ...process.env, VLRERANK_STORE_DISK_PATH: 'off', VLRERANK_MODELS_DIR: noModels },
    }).then(() => ({ code: 0, signal: null, stderr: '' }), (e: { code?: number; signal?: string; stderr?: string }) => e);
    expect(run).toMatchObject({ code: 2, stderr: expect.stringContaining('the address-space limit (ulimit -v 16000000 KiB = 15.3 GiB) is below the 32.0 GiB vlrerank needs to start') });
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});
