/**
 * An OpenSearch 2.19 node of a test's own with the **security plugin** (TLS on HTTP with the
 * plugin's demo certificates, internal users, roles, field- and document-level security), as most
 * production OpenSearch clusters run (held-out probe round 16a); the shared engines run without it.
 * The plugin comes from Maven Central (`org.opensearch.plugin:opensearch-security`); the release
 * served nearest to the engine's 2.19.6 is 2.19.4.0, whose descriptor is set to the engine's version
 * (a patch release apart, the same plugin API). Started on free ports in a folder of its own copied
 * from the shared 2.19 install, never touching it; `close()` kills only the JVM it started.
 * `startSecureOpenSearch` throws `SecurityPluginUnavailable` when the plugin cannot be fetched:
 * tests skip with its message.
 */
import { execFileSync, spawn } from 'node:child_process';
import { appendFileSync, cpSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { join } from 'node:path';
import { ENGINE_USER, ENGINES, fetchArtifact, installEngine } from '../../scripts/engines.js';
import { freePort } from './ports.js';

const PLUGIN = { gav: 'org.opensearch.plugin:opensearch-security:2.19.4.0:zip', file: 'opensearch-security-2.19.4.0.zip' };
const ADMIN_PASSWORD = 'Kx7#quartz-Velvet-91'; // the demo installer refuses weak ones
/** The password of every user `roles` names. */
export const USER_PASSWORD = 'Pr0be-16a!zebra';

export class SecurityPluginUnavailable extends Error {}

export interface SecureOpenSearch {
  url: string;
  /** PEM of the CA that signed the node's certificate (vlrerank's `upstream.tls.ca`). */
  ca: string;
  admin: { username: string; password: string };
  /** Basic `authorization` header value of a user (`admin` or one of `roles`). */
  basic(user: string): string;
  /** A request straight to the node as `user` (status and parsed body). */
  call(user: string, method: string, path: string, body?: string, contentType?: string): Promise<{ status: number; body: any }>;
  close(): Promise<void>;
}

const isRoot = process.getuid?.() === 0;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * `roles`: role name → its `roles.yml` body (YAML, indented two spaces); each gets a user of the
 * same name with `USER_PASSWORD`. The demo configuration's audit log goes to the node's log (log4j).
 */
export async function startSecureOpenSearch(name: string, roles: Record<string, string>): Promise<SecureOpenSearch> {
  const spec = ENGINES.opensearch;
  let zip: string;
  try {
    zip = fetchArtifact(PLUGIN);
  } catch (e) {
    throw new SecurityPluginUnavailable(`the OpenSearch security plugin (${PLUGIN.gav}) could not be fetched from Maven Central: ${(e as Error).message.split('\n')[0]}`);
  }
  const shared = installEngine('opensearch');
  const dir = mkdtempSync(join('/var/tmp', `vlr-${name}-`));
  const home = join(dir, 'os');
  cpSync(shared, home, { recursive: true });
  for (const f of ['.vlrerank-install', 'vlrerank.pid', 'data', 'logs']) rmSync(join(home, f), { recursive: true, force: true });
  // the plugin's descriptor names the engine version it installs into
  const unpacked = join(dir, 'plugin');
  execFileSync('unzip', ['-q', zip, '-d', unpacked]);
  const desc = join(unpacked, 'plugin-descriptor.properties');
  writeFileSync(desc, readFileSync(desc, 'utf8').replace(/^opensearch\.version=.*$/m, `opensearch.version=${spec.version}`));
  const rezipped = join(dir, 'security.zip');
  execFileSync('python3', ['-c', 'import shutil,sys; shutil.make_archive(sys.argv[1], "zip", sys.argv[2])', rezipped.replace(/\.zip$/, ''), unpacked]);
  const port = await freePort();
  const transport = await freePort();
  const conf = join(home, 'config');
  writeFileSync(
    join(conf, 'opensearch.yml'),
    [`cluster.name: vlr-${name}-${process.pid}`, `node.name: ${name}`, `http.port: ${port}`, `transport.port: ${transport}`, 'network.host: 127.0.0.1', 'discovery.type: single-node', 'cluster.routing.allocation.disk.threshold_enabled: false', ''].join('\n'),
  );
  writeFileSync(join(conf, 'jvm.options.d', 'vlrerank-heap.options'), '-Xms384m\n-Xmx384m\n-XX:TieredStopAtLevel=1\n');
  execFileSync('mkdir', ['-p', join(home, 'logs')]);
  if (isRoot) execFileSync('chown', ['-R', `${ENGINE_USER}:`, dir]);
  const env = [`${spec.javaHomeVar}=${spec.javaHome}`, `JAVA_HOME=${spec.javaHome}`, `OPENSEARCH_INITIAL_ADMIN_PASSWORD=${ADMIN_PASSWORD}`, `PATH=${process.env.PATH ?? '/usr/bin:/bin'}`];
  const as = (cmd: string, args: string[]): [string, string[]] => (isRoot ? ['runuser', ['-u', ENGINE_USER, '--', 'env', ...env, cmd, ...args]] : ['env', [...env, cmd, ...args]]);
  const run = (cmd: string, args: string[]) => {
    const [c, a] = as(cmd, args);
    return execFileSync(c, a, { cwd: home, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  };
  run(join(home, 'bin', 'opensearch-plugin'), ['install', '--batch', `file://${rezipped}`]);
  run('bash', [join(home, 'plugins', 'opensearch-security', 'tools', 'install_demo_configuration.sh'), '-y', '-i', '-s']);
  // audit lines in the node's log, every REST category (vlrerank's own calls included)
  const yml = join(conf, 'opensearch.yml');
  writeFileSync(yml, readFileSync(yml, 'utf8').replace(/^plugins\.security\.audit\.type: .*$/m, 'plugins.security.audit.type: log4j'));
  const sec = join(conf, 'opensearch-security');
  writeFileSync(join(sec, 'audit.yml'), readFileSync(join(sec, 'audit.yml'), 'utf8').replace(/disabled_rest_categories:\n(\s+- \w+\n)+/, 'disabled_rest_categories: []\n'));
  const hash = run('bash', [join(home, 'plugins', 'opensearch-security', 'tools', 'hash.sh'), '-p', USER_PASSWORD]).trim().split('\n').pop()!;
  for (const [role, body] of Object.entries(roles)) {
    appendFileSync(join(sec, 'internal_users.yml'), `\n${role}:\n  hash: "${hash}"\n  reserved: false\n`);
    appendFileSync(join(sec, 'roles.yml'), `\n${role}:\n${body}\n`);
    appendFileSync(join(sec, 'roles_mapping.yml'), `\n${role}:\n  reserved: false\n  users: ["${role}"]\n`);
  }
  if (isRoot) execFileSync('chown', ['-R', `${ENGINE_USER}:`, dir]);
  const pidFile = join(home, 'os.pid');
  const out = openSync(join(dir, 'start.log'), 'w');
  const [cmd, argv] = as(join(home, 'bin', 'opensearch'), ['-p', pidFile]);
  const child = spawn(cmd, argv, { cwd: home, stdio: ['ignore', out, out], detached: true });
  child.unref();

  const url = `https://127.0.0.1:${port}`;
  const ca = join(conf, 'root-ca.pem');
  const caPem = readFileSync(ca);
  const passwords: Record<string, string> = { admin: ADMIN_PASSWORD };
  const basic = (user: string) => `Basic ${Buffer.from(`${user}:${passwords[user] ?? USER_PASSWORD}`).toString('base64')}`;
  const call: SecureOpenSearch['call'] = (user, method, path, body, contentType = 'application/json') =>
    new Promise((resolve, reject) => {
      const req = request(`${url}${path}`, { method, ca: caPem, agent: false, headers: { authorization: basic(user), ...(body !== undefined ? { 'content-type': contentType } : {}) }, timeout: 60_000 }, (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (text += c));
        res.on('end', () => {
          let parsed: unknown = text;
          try {
            parsed = text ? JSON.parse(text) : undefined;
          } catch {
            /* not JSON: the text */
          }
          resolve({ status: res.statusCode ?? 0, body: parsed });
        });
      });
      req.on('timeout', () => req.destroy(new Error(`${method} ${path} timed out`)));
      req.on('error', reject);
      req.end(body);
    });
  const pid = () => (existsSync(pidFile) ? Number(readFileSync(pidFile, 'utf8').trim()) || undefined : undefined);
  const close = async () => {
    const p = pid();
    if (p) {
      try {
        process.kill(p, 'SIGKILL');
      } catch {
        /* gone */
      }
      while (existsSync(`/proc/${p}`)) await sleep(100);
    }
    rmSync(dir, { recursive: true, force: true });
  };
  const deadline = Date.now() + 150_000;
  for (;;) {
    // the security index is created at the first start: until then the node answers 503
    const h = await call('admin', 'GET', '/_cluster/health').catch(() => undefined);
    if (h?.status === 200 && ['green', 'yellow'].includes(h.body?.status)) break;
    if (child.exitCode !== null && !pid()) {
      const log = readFileSync(join(dir, 'start.log'), 'utf8').slice(-2000);
      await close();
      throw new Error(`secured OpenSearch exited during start-up: ${log}`);
    }
    if (Date.now() > deadline) {
      const log = existsSync(join(dir, 'start.log')) ? readFileSync(join(dir, 'start.log'), 'utf8').slice(-2000) : '';
      await close();
      throw new Error(`secured OpenSearch not healthy after 150 s: ${log}`);
    }
    await sleep(1000);
  }
  return { url, ca, admin: { username: 'admin', password: ADMIN_PASSWORD }, basic, call, close };
}
