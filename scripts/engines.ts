/**
 * Real search engines for tests and the demo, without docker: fetch Elasticsearch 8.19 and 9.2 and
 * OpenSearch 2.19 and 3.6 from Maven Central, run each as a single node on 127.0.0.1
 * (elasticsearch 8.19 on 19200, opensearch 2.19 on 19201, opensearch3 3.6 on 19202,
 * elasticsearch9 9.2 on 19203).
 *
 *   tsx scripts/engines.ts start  [elasticsearch|elasticsearch9|opensearch|opensearch3 …]   (default: elasticsearch opensearch)
 *   tsx scripts/engines.ts stop   [names…]                                   (default: all)
 *   tsx scripts/engines.ts status
 *   tsx scripts/engines.ts fetch  [names…]                                   (download only)
 *
 * Facts this script is built on (issue 3 §5, verified on these machines):
 * - Distributions come from Maven Central via `mvn dependency:copy` (the metadata served here is
 *   incomplete: exact versions only). Downloads are cached in the git-ignored `.engines/` of the
 *   clone, so a second run only starts the engine.
 * - The Elasticsearch integ-test zip is a thin build (no painless, no by-query APIs, `GET /` is 405),
 *   8.19 and 9.2 alike: readiness is read from `_cluster/health`, never `GET /`. 9.2.0 is the newest
 *   9.x Maven Central serves as that zip (9.3.0 and 9.4.0 are not there).
 * - The OpenSearch 2.19 zip holds only transport-netty4: lang-painless, analysis-common,
 *   mapper-extras and reindex are assembled here from their Maven jars (+ a written descriptor and
 *   security policy), then k-NN (which extends painless) is installed with `opensearch-plugin`.
 * - Both engines refuse to run as root: as root we run them as the system user `vlrengine`
 *   (`useradd -r`, `runuser -u`) from an install folder that user owns outside the clone
 *   (`/var/tmp/vlrerank-engines`), because the clone may sit under a folder it cannot traverse.
 *   As a normal user the engines run as that user from `.engines/install`.
 * - JDK 17 for ES 8.19 and OpenSearch 2.x (OpenSearch 2 fails on JDK 25's Security Manager);
 *   ES 9 and OpenSearch 3 need ≥ 21 (Temurin 25 here; see findJdk for a machine without it).
 * - OpenSearch 3.6's zip carries every standard module; its k-NN plugin (like 2.19's) has no native
 *   libraries here, so every knn_vector must be mapped with `method.engine: lucene`.
 *
 * Engines started by a test run are marked "auto" in the shared state folder; the test run's
 * teardown stops them when no other test run holds a lease (see test/helpers/engines.ts).
 * Engines started from this command line are never stopped by tests.
 */
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, closeSync, existsSync, openSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export type EngineName = 'elasticsearch' | 'elasticsearch9' | 'opensearch' | 'opensearch3';

export interface Artifact {
  gav: string;
  file: string;
}

interface EngineSpec {
  name: EngineName;
  distribution: 'elasticsearch' | 'opensearch';
  version: string;
  httpPort: number;
  transportPort: number;
  /** Java home, overridable for other machines. */
  javaHome: string;
  javaHomeVar: 'ES_JAVA_HOME' | 'OPENSEARCH_JAVA_HOME';
  dist: Artifact;
  /** OpenSearch modules assembled from Maven jars (OpenSearch 2 thin zip only). */
  modules: ModuleSpec[];
  /** Plugin zips installed with `bin/<x>-plugin install --batch`. */
  plugins: Artifact[];
  settings: Record<string, string | number | boolean>;
}

interface ModuleSpec {
  name: string;
  artifact: string; // groupId:artifactId:version
  classname: string;
  extended?: string;
  policy?: string;
  description: string;
}

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const CACHE = resolve(REPO_ROOT, '.engines');
const DOWNLOADS = join(CACHE, 'downloads');
const M2 = join(CACHE, 'm2');
const IS_ROOT = process.getuid?.() === 0;
export const ENGINE_USER = 'vlrengine';
/** Where engines are installed and run; shared by every clone on the machine when root. */
export const INSTALL_ROOT = resolve(process.env.VLRERANK_ENGINES_DIR ?? (IS_ROOT ? '/var/tmp/vlrerank-engines' : join(CACHE, 'install')));
/** Shared state: which engines a test run started ("auto"), and the leases of running test runs. */
export const STATE_DIR = join(INSTALL_ROOT, 'state');

const JDK17 = process.env.VLRERANK_JDK17 ?? '/usr/lib/jvm/java-17-openjdk-amd64';
const JDK21 = process.env.VLRERANK_JDK21 ?? findJdk(21, '/usr/lib/jvm/temurin-25-jdk-amd64');
// 1 GiB: with 512 MiB, Elasticsearch 8.19 (the engine most suites and the demo share) ran whole test
// runs at 460–485 MiB live after full collections (76 of them in one day's gc.log), near its circuit
// breakers; on a slower machine that node stopped answering and every later suite waited 180 s for it.
const HEAP = process.env.VLRERANK_ENGINE_HEAP ?? '1g';
/** How long an engine of ours may be alive without answering healthy before startEngine restarts it. */
const STUCK_MS = 60_000;

/**
 * A JDK of at least `major`: `preferred` when it has a java binary, else the newest JDK of that
 * major or later under /usr/lib/jvm (read from each one's `release` file). Debian 12 packages no
 * JDK ≥ 21, so on a machine without one this returns `preferred` anyway and starting an engine
 * that needs it fails with a message naming VLRERANK_JDK21 (see startEngine).
 */
function findJdk(major: number, preferred: string): string {
  if (existsSync(join(preferred, 'bin', 'java'))) return preferred;
  const found: Array<{ home: string; major: number }> = [];
  try {
    for (const d of readdirSync('/usr/lib/jvm')) {
      const home = join('/usr/lib/jvm', d);
      try {
        const m = /^JAVA_VERSION="(\d+)/m.exec(readFileSync(join(home, 'release'), 'utf8'));
        if (m && Number(m[1]) >= major && existsSync(join(home, 'bin', 'java'))) found.push({ home, major: Number(m[1]) });
      } catch {
        /* not a JDK */
      }
    }
  } catch {
    /* no /usr/lib/jvm */
  }
  found.sort((a, b) => b.major - a.major);
  return found[0]?.home ?? preferred;
}

const common = { 'network.host': '127.0.0.1', 'discovery.type': 'single-node', 'cluster.routing.allocation.disk.threshold_enabled': false };

const PAINLESS_POLICY = `grant {
  // painless generates classes at runtime
  permission java.lang.RuntimePermission "createClassLoader";
  permission java.lang.RuntimePermission "getClassLoader";
};
`;
const REINDEX_POLICY = `grant {
  // reindex from remote opens sockets with the REST client
  permission java.net.SocketPermission "*", "connect";
};
`;

const os2Modules = (v: string): ModuleSpec[] => [
  { name: 'lang-painless', artifact: `org.opensearch.plugin:lang-painless:${v}`, classname: 'org.opensearch.painless.PainlessPlugin', policy: PAINLESS_POLICY, description: 'Painless scripting' },
  {
    name: 'analysis-common',
    artifact: `org.opensearch.plugin:analysis-common:${v}`,
    classname: 'org.opensearch.analysis.common.CommonAnalysisPlugin',
    extended: 'lang-painless',
    description: 'Common analysis components',
  },
  { name: 'mapper-extras', artifact: `org.opensearch.plugin:mapper-extras-client:${v}`, classname: 'org.opensearch.index.mapper.MapperExtrasPlugin', description: 'Extra mapper types' },
  { name: 'reindex', artifact: `org.opensearch.plugin:reindex-client:${v}`, classname: 'org.opensearch.index.reindex.ReindexPlugin', policy: REINDEX_POLICY, description: 'Reindex and by-query APIs' },
];

/** Jars pulled in transitively that the real module folders do not carry (annotations only). */
const SKIP_JARS = /^(error_prone_annotations|jspecify|jsr305|checker-qual|j2objc-annotations)-/;

export const ENGINES: Record<EngineName, EngineSpec> = {
  elasticsearch: {
    name: 'elasticsearch',
    distribution: 'elasticsearch',
    version: '8.19.21',
    httpPort: 19200,
    transportPort: 19300,
    javaHome: JDK17,
    javaHomeVar: 'ES_JAVA_HOME',
    dist: { gav: 'org.elasticsearch.distribution.integ-test-zip:elasticsearch:8.19.21:zip', file: 'elasticsearch-8.19.21.zip' },
    modules: [],
    plugins: [],
    // no xpack.ml.* / ingest.geoip.*: those modules are absent and ES refuses unknown settings
    settings: { ...common, 'xpack.security.enabled': false },
  },
  elasticsearch9: {
    name: 'elasticsearch9',
    distribution: 'elasticsearch',
    // the newest 9.x Maven Central serves as an integ-test zip (9.3.0 and 9.4.0 are not there)
    version: '9.2.0',
    httpPort: 19203,
    transportPort: 19303,
    javaHome: JDK21,
    javaHomeVar: 'ES_JAVA_HOME',
    dist: { gav: 'org.elasticsearch.distribution.integ-test-zip:elasticsearch:9.2.0:zip', file: 'elasticsearch-9.2.0.zip' },
    modules: [],
    plugins: [],
    // as thin as 8.19: no painless, no by-query APIs, `GET /` answers 405
    settings: { ...common, 'xpack.security.enabled': false },
  },
  opensearch: {
    name: 'opensearch',
    distribution: 'opensearch',
    version: '2.19.6',
    httpPort: 19201,
    transportPort: 19301,
    javaHome: JDK17,
    javaHomeVar: 'OPENSEARCH_JAVA_HOME',
    dist: { gav: 'org.opensearch.distribution.integ-test-zip:opensearch:2.19.6:zip', file: 'opensearch-2.19.6.zip' },
    modules: os2Modules('2.19.6'),
    // k-NN must equal the engine version exactly
    plugins: [{ gav: 'org.opensearch.plugin:opensearch-knn:2.19.6.0:zip', file: 'opensearch-knn-2.19.6.0.zip' }],
    settings: { ...common },
  },
  opensearch3: {
    name: 'opensearch3',
    distribution: 'opensearch',
    version: '3.6.0',
    httpPort: 19202,
    transportPort: 19302,
    javaHome: JDK21,
    javaHomeVar: 'OPENSEARCH_JAVA_HOME',
    dist: { gav: 'org.opensearch.distribution.integ-test-zip:opensearch:3.6.0:zip', file: 'opensearch-3.6.0.zip' },
    modules: [], // the 3.6 zip carries all standard modules
    plugins: [{ gav: 'org.opensearch.plugin:opensearch-knn:3.6.0.0:zip', file: 'opensearch-knn-3.6.0.0.zip' }],
    settings: { ...common },
  },
};

export const ENGINE_NAMES = Object.keys(ENGINES) as EngineName[];

export function engineUrl(name: EngineName): string {
  return `http://127.0.0.1:${ENGINES[name].httpPort}`;
}

function log(msg: string): void {
  process.stderr.write(`[engines] ${msg}\n`);
}

function run(cmd: string, args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv; quiet?: boolean } = {}): void {
  const r = spawnSync(cmd, args, { cwd: options.cwd, env: options.env ?? process.env, stdio: options.quiet ? ['ignore', 'pipe', 'pipe'] : ['ignore', 'inherit', 'inherit'], encoding: 'utf8' });
  if (r.error) throw new Error(`${cmd} failed to start: ${r.error.message}${(r.error as NodeJS.ErrnoException).code === 'ENOENT' ? ` (is ${cmd} installed?)` : ''}`);
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${r.status}${options.quiet ? `:\n${r.stdout ?? ''}${r.stderr ?? ''}` : ''}`);
}

/** Run as the engine user when we are root (engines refuse root). */
function asEngineUser(cmd: string, args: string[], env: Record<string, string>): [string, string[]] {
  const envArgs = Object.entries(env).map(([k, v]) => `${k}=${v}`);
  return IS_ROOT ? ['runuser', ['-u', ENGINE_USER, '--', 'env', ...envArgs, cmd, ...args]] : ['env', [...envArgs, cmd, ...args]];
}

function ensureUser(): void {
  if (!IS_ROOT) return;
  if (spawnSync('id', ['-u', ENGINE_USER]).status === 0) return;
  log(`creating system user ${ENGINE_USER}`);
  const r = spawnSync('useradd', ['-r', '-M', '-s', '/usr/sbin/nologin', '-d', INSTALL_ROOT, ENGINE_USER], { encoding: 'utf8' });
  // a concurrent run may have created it in the meantime
  if (r.status !== 0 && spawnSync('id', ['-u', ENGINE_USER]).status !== 0) throw new Error(`useradd ${ENGINE_USER} failed: ${r.stderr}`);
}

function mvn(args: string[], cwd?: string): void {
  run('mvn', ['-B', '-q', `-Dmaven.repo.local=${M2}`, ...args], { cwd, quiet: true });
}

/** Download one artifact into .engines/downloads (cached). */
export function fetchArtifact(a: Artifact): string {
  const dest = join(DOWNLOADS, a.file);
  if (existsSync(dest)) return dest;
  mkdirSync(DOWNLOADS, { recursive: true });
  log(`downloading ${a.gav} from Maven Central`);
  mvn(['org.apache.maven.plugins:maven-dependency-plugin:3.6.1:copy', `-Dartifact=${a.gav}`, `-DoutputDirectory=${DOWNLOADS}`]);
  if (!existsSync(dest)) throw new Error(`mvn did not produce ${dest}`);
  // the copy in downloads/ is the cache: drop Maven's own copy of the big zip (halves the disk use)
  const [g, art, v] = a.gav.split(':');
  rmSync(join(M2, ...g!.split('.'), art!, v!), { recursive: true, force: true });
  return dest;
}

/** The module jar and its runtime dependencies, resolved by Maven, into .engines/modules/<name>-<v>/ (cached). */
function fetchModuleJars(m: ModuleSpec): string {
  const [g, a, v] = m.artifact.split(':');
  const dir = join(CACHE, 'modules', `${m.name}-${v}`);
  if (existsSync(join(dir, '.done'))) return dir;
  rmSync(dir, { recursive: true, force: true });
  const pomDir = join(CACHE, 'poms', `${m.name}-${v}`);
  mkdirSync(pomDir, { recursive: true });
  writeFileSync(
    join(pomDir, 'pom.xml'),
    `<project xmlns="http://maven.apache.org/POM/4.0.0"><modelVersion>4.0.0</modelVersion>
<groupId>vlrerank.engines</groupId><artifactId>${m.name}</artifactId><version>0</version><packaging>pom</packaging>
<dependencies><dependency><groupId>${g}</groupId><artifactId>${a}</artifactId><version>${v}</version></dependency></dependencies>
</project>
`,
  );
  log(`resolving ${m.artifact} and its dependencies`);
  mvn(['org.apache.maven.plugins:maven-dependency-plugin:3.6.1:copy-dependencies', '-DincludeScope=runtime', `-DoutputDirectory=${join(dir, 'jars')}`], pomDir);
  writeFileSync(join(dir, '.done'), '');
  return dir;
}

export function fetchEngine(name: EngineName): void {
  const spec = ENGINES[name];
  fetchArtifact(spec.dist);
  for (const p of spec.plugins) fetchArtifact(p);
  for (const m of spec.modules) fetchModuleJars(m);
}

/** "lucene-core-9.12.3.jar" → "lucene-core" */
function artifactOf(jar: string): string {
  return jar.replace(/\.jar$/, '').replace(/-\d[\w.]*(-[\w.]+)*$/, '');
}

function yaml(settings: Record<string, string | number | boolean>): string {
  return Object.entries(settings)
    .map(([k, v]) => `${k}: ${typeof v === 'string' ? JSON.stringify(v) : v}`)
    .join('\n');
}

export function installDir(name: EngineName): string {
  const s = ENGINES[name];
  return join(INSTALL_ROOT, `${name}-${s.version}`);
}

/** A recipe stamp: an install made by an older recipe is rebuilt. */
function recipe(spec: EngineSpec): string {
  return JSON.stringify({ v: 1, dist: spec.dist, modules: spec.modules.map((m) => m.artifact), plugins: spec.plugins, settings: spec.settings, heap: HEAP, http: spec.httpPort, transport: spec.transportPort });
}

/** Extract, assemble modules, write config, install plugins, hand the folder to the engine user. */
export function installEngine(name: EngineName): string {
  const spec = ENGINES[name];
  const dir = installDir(name);
  const stamp = join(dir, '.vlrerank-install');
  if (existsSync(stamp) && readFileSync(stamp, 'utf8') === recipe(spec)) return dir;
  fetchEngine(name);
  ensureUser();
  mkdirSync(INSTALL_ROOT, { recursive: true });
  chmodSync(INSTALL_ROOT, 0o755);
  const tmp = `${dir}.tmp-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  log(`installing ${name} ${spec.version} into ${dir}`);
  run('unzip', ['-q', join(DOWNLOADS, spec.dist.file), '-d', tmp]);
  const [top] = readdirSync(tmp);
  const home = join(tmp, top!);

  // modules assembled from Maven jars: the jar and its dependencies not already in lib/
  const libJars = new Set(readdirSync(join(home, 'lib')).filter((f) => f.endsWith('.jar')).map(artifactOf));
  for (const m of spec.modules) {
    const src = join(fetchModuleJars(m), 'jars');
    const dest = join(home, 'modules', m.name);
    mkdirSync(dest, { recursive: true });
    for (const jar of readdirSync(src)) {
      if (!jar.endsWith('.jar') || libJars.has(artifactOf(jar)) || SKIP_JARS.test(jar)) continue;
      writeFileSync(join(dest, jar), readFileSync(join(src, jar)));
    }
    writeFileSync(
      join(dest, 'plugin-descriptor.properties'),
      [
        `description=${m.description}`,
        `version=${spec.version}`,
        `name=${m.name}`,
        `classname=${m.classname}`,
        'java.version=11',
        `opensearch.version=${spec.version}`,
        'custom.foldername=',
        `extended.plugins=${m.extended ?? ''}`,
        'has.native.controller=false',
        '',
      ].join('\n'),
    );
    if (m.policy) writeFileSync(join(dest, 'plugin-security.policy'), m.policy);
  }

  const confName = spec.distribution === 'elasticsearch' ? 'elasticsearch.yml' : 'opensearch.yml';
  writeFileSync(
    join(home, 'config', confName),
    `${yaml({ 'cluster.name': `vlrerank-${name}`, 'node.name': `${name}-1`, 'http.port': spec.httpPort, 'transport.port': spec.transportPort, ...spec.settings })}\n`,
  );
  mkdirSync(join(home, 'config', 'jvm.options.d'), { recursive: true });
  writeFileSync(join(home, 'config', 'jvm.options.d', 'vlrerank-heap.options'), `-Xms${HEAP}\n-Xmx${HEAP}\n`);
  if (IS_ROOT) run('chown', ['-R', `${ENGINE_USER}:`, tmp]);

  const pluginCli = join(home, 'bin', spec.distribution === 'elasticsearch' ? 'elasticsearch-plugin' : 'opensearch-plugin');
  for (const p of spec.plugins) {
    const zip = join(DOWNLOADS, p.file);
    // the engine user must be able to read the zip: copy it into the install folder
    const local = join(home, p.file);
    writeFileSync(local, readFileSync(zip));
    if (IS_ROOT) run('chown', [`${ENGINE_USER}:`, local]);
    log(`installing plugin ${p.gav}`);
    const [cmd, args] = asEngineUser(pluginCli, ['install', '--batch', `file://${local}`], { [spec.javaHomeVar]: spec.javaHome });
    run(cmd, args, { quiet: true });
    rmSync(local);
  }
  rmSync(dir, { recursive: true, force: true });
  renameSync(home, dir);
  rmSync(tmp, { recursive: true, force: true });
  writeFileSync(stamp, recipe(spec));
  if (IS_ROOT) run('chown', ['-R', `${ENGINE_USER}:`, dir]);
  return dir;
}

export interface EngineHealth {
  healthy: boolean;
  /** Something answers on the port. */
  listening: boolean;
  distribution?: string;
  version?: string;
  status?: string;
  /** The HTTP status of `_cluster/health` when it was not 2xx (e.g. 429 from a tripped circuit breaker). */
  httpStatus?: number;
  /** Shards being recovered or allocated now (a node that just started recovers its indices: red until then). */
  initializing?: number;
  /** Shards started, and cluster-state tasks queued: both move while a node recovers. */
  active?: number;
  pendingTasks?: number;
}

/** Is the engine on its port healthy (yellow or green) and the expected distribution/version? */
export async function engineHealth(name: EngineName, timeoutMs = 2_000): Promise<EngineHealth> {
  const spec = ENGINES[name];
  const base = engineUrl(name);
  try {
    const h = await fetch(`${base}/_cluster/health`, { signal: AbortSignal.timeout(timeoutMs) });
    const health = (await h.json()) as { status?: string; initializing_shards?: number; active_shards?: number; number_of_pending_tasks?: number };
    if (!h.ok) return { healthy: false, listening: true, httpStatus: h.status };
    const n = await fetch(`${base}/_nodes/_local?filter_path=nodes.*.version`, { signal: AbortSignal.timeout(timeoutMs) });
    const nodes = (await n.json()) as { nodes?: Record<string, { version: string }> };
    const version = nodes.nodes ? Object.values(nodes.nodes)[0]?.version : undefined;
    const distribution = n.headers.get('x-elastic-product') === 'Elasticsearch' ? 'elasticsearch' : 'opensearch';
    const healthy = (health.status === 'green' || health.status === 'yellow') && version === spec.version && distribution === spec.distribution;
    return { healthy, listening: true, distribution, version, status: health.status, initializing: health.initializing_shards, active: health.active_shards, pendingTasks: health.number_of_pending_tasks };
  } catch {
    return { healthy: false, listening: false };
  }
}

function pidFile(name: EngineName): string {
  return join(installDir(name), 'vlrerank.pid');
}

/** The pid of an engine we run (from its pid file), if it is alive. */
export function enginePid(name: EngineName): number | undefined {
  return readPid(name);
}

function readPid(name: EngineName): number | undefined {
  try {
    const pid = Number(readFileSync(pidFile(name), 'utf8').trim());
    return pid > 0 && alive(pid) ? pid : undefined;
  } catch {
    return undefined;
  }
}

export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A cross-process lock (mkdir is atomic); stale after 10 minutes or when its holder is gone. */
async function withLock<T>(name: string, fn: () => Promise<T>): Promise<T> {
  mkdirSync(STATE_DIR, { recursive: true });
  const lock = join(STATE_DIR, `${name}.lock`);
  for (;;) {
    try {
      mkdirSync(lock);
      writeFileSync(join(lock, 'pid'), String(process.pid));
      break;
    } catch {
      let holder = 0;
      try {
        holder = Number(readFileSync(join(lock, 'pid'), 'utf8'));
      } catch {
        /* being created */
      }
      let age = 0;
      try {
        age = Date.now() - statSync(lock).mtimeMs;
      } catch {
        /* gone */
      }
      if ((holder && !alive(holder)) || age > 600_000) rmSync(lock, { recursive: true, force: true });
      else await sleep(500);
    }
  }
  try {
    return await fn();
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

export interface StartResult {
  name: EngineName;
  url: string;
  /** false when a healthy engine was already running (reused). */
  started: boolean;
  ms: number;
}

/**
 * Start an engine unless a healthy one already answers on its port. `auto` marks it as started
 * by a test run, so the run's teardown may stop it. An engine of ours found running but not
 * answering healthy for `stuckMs` (60 s) is diagnosed on stderr and restarted once; its data stays.
 */
export async function startEngine(name: EngineName, options: { auto?: boolean; timeoutMs?: number; stuckMs?: number } = {}): Promise<StartResult> {
  const t0 = Date.now();
  const spec = ENGINES[name];
  const url = engineUrl(name);
  const first = await engineHealth(name);
  if (await usable(name, first)) {
    if (!options.auto) rmSync(join(STATE_DIR, `${name}.auto`), { force: true }); // adopted by a person
    return { name, url, started: false, ms: Date.now() - t0 };
  }
  return withLock(name, async () => {
    const again = await engineHealth(name);
    if (await usable(name, again)) return { name, url, started: false, ms: Date.now() - t0 };
    let pid = readPid(name);
    if (again.listening && !pid) {
      throw new Error(`port ${spec.httpPort} answers but not with a healthy ${spec.distribution} ${spec.version} (${JSON.stringify(again)}); stop whatever holds it`);
    }
    // an engine of ours already running but not healthy: starting up, or stuck (restarted below)
    let restartable = pid !== undefined;
    let launched = !pid;
    if (!pid) await launch(name);
    // marked as a test run's only when this call launched it (one found starting up keeps its owner)
    if (options.auto && launched) writeFileSync(join(STATE_DIR, `${name}.auto`), String(process.pid));
    const deadline = Date.now() + (options.timeoutMs ?? 180_000);
    let waitFrom = Date.now();
    for (;;) {
      const h = await engineHealth(name);
      if (await usable(name, h)) break;
      pid = readPid(name);
      if (Date.now() > 1_000 + waitFrom && existsSync(pidFile(name)) && !pid) {
        throw new Error(`${name} exited during start-up; see ${join(installDir(name), 'logs')}`);
      }
      if (restartable && pid && !redAndIdle(name, h) && Date.now() - waitFrom > (options.stuckMs ?? STUCK_MS)) {
        // alive, ours, and not healthy for a minute though it was running before we came: a node
        // that cannot free its heap or lost its way does not recover by itself, and every later
        // suite would wait for it. Say what it showed, then restart it once. (A node that answers red
        // with nothing moving is not stuck: a restart cannot place a primary no node may hold.)
        restartable = false;
        log(`${name} (pid ${pid}) has not answered healthy for ${Math.round((Date.now() - waitFrom) / 1000)} s; last answer ${JSON.stringify(h)}`);
        log(await diagnose(name));
        // a restart keeps who owns the engine: one started by hand stays so (a test run that restarted
        // it must not have the next run's teardown stop it)
        const auto = existsSync(join(STATE_DIR, `${name}.auto`));
        await stopEngine(name, 15_000);
        if (auto) writeFileSync(join(STATE_DIR, `${name}.auto`), String(process.pid));
        await launch(name);
        launched = true;
        waitFrom = Date.now();
        continue;
      }
      if (Date.now() > deadline) {
        throw new Error(`${name} not healthy after ${options.timeoutMs ?? 180_000} ms (last answer ${JSON.stringify(h)}); see ${join(installDir(name), 'logs')}\n${await diagnose(name)}`);
      }
      await sleep(500);
    }
    log(`${name} healthy on ${url} after ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    return { name, url, started: launched, ms: Date.now() - t0 };
  });
}

/**
 * Good enough to run tests on: the expected distribution and version answering, green or yellow —
 * or red and holding still, which names indices whose primaries cannot be assigned: other indices
 * serve, so the node is used and said to be red once (a test's own broken index must not stop every
 * later suite). A node that just started is red too, and for a moment nothing initialises yet while
 * the gateway reads its shards: so red counts only on a node up for RED_AFTER_UPTIME_MS and when,
 * over RED_STILL_MS, nothing initialised, no cluster task was pending and no shard became active.
 * Red while recovering is waited for.
 */
const RED_STILL_MS = 3_000;
const RED_AFTER_UPTIME_MS = 20_000;
const namedRed = new Set<string>();
async function usable(name: EngineName, h: EngineHealth): Promise<boolean> {
  if (h.healthy) return true;
  if (!redAndIdle(name, h) || (await uptimeMs(name)) < RED_AFTER_UPTIME_MS) return false;
  await sleep(RED_STILL_MS);
  const later = await engineHealth(name);
  if (later.healthy) return true;
  if (!redAndIdle(name, later) || later.active !== h.active) return false;
  if (!namedRed.has(name)) {
    namedRed.add(name);
    log(`${name} is red (an index has an unassigned primary); using it — see ${engineUrl(name)}/_cluster/health?level=indices`);
  }
  return true;
}

async function uptimeMs(name: EngineName): Promise<number> {
  try {
    const r = await fetch(`${engineUrl(name)}/_nodes/_local/stats/jvm?filter_path=nodes.*.jvm.uptime_in_millis`, { signal: AbortSignal.timeout(2_000) });
    const body = (await r.json()) as { nodes?: Record<string, { jvm?: { uptime_in_millis?: number } }> };
    return Object.values(body.nodes ?? {})[0]?.jvm?.uptime_in_millis ?? 0;
  } catch {
    return 0;
  }
}

function redAndIdle(name: EngineName, h: EngineHealth): boolean {
  const spec = ENGINES[name];
  return h.status === 'red' && h.initializing === 0 && h.pendingTasks === 0 && h.version === spec.version && h.distribution === spec.distribution;
}

/** Start the engine's JVM as a daemon (its launcher exits once the node is forked). */
async function launch(name: EngineName): Promise<void> {
  const spec = ENGINES[name];
  if (!existsSync(join(spec.javaHome, 'bin', 'java'))) {
    const v = spec.javaHome === JDK17 ? 'VLRERANK_JDK17 (Debian: openjdk-17-jre-headless)' : 'VLRERANK_JDK21 (a JDK ≥ 21, e.g. Temurin 25; Debian 12 packages none)';
    throw new Error(`${name} needs a JDK at ${spec.javaHome}: install it or set ${v}`);
  }
  const dir = installEngine(name);
  const bin = join(dir, 'bin', spec.distribution);
  const out = join(dir, 'logs', 'vlrerank-start.log');
  mkdirSync(join(dir, 'logs'), { recursive: true });
  rmSync(pidFile(name), { force: true });
  log(`starting ${name} ${spec.version} on ${engineUrl(name)}`);
  const [cmd, args] = asEngineUser(bin, ['-d', '-p', pidFile(name)], { [spec.javaHomeVar]: spec.javaHome, PATH: process.env.PATH ?? '/usr/bin:/bin' });
  // the daemonised JVM keeps the log file open as its stdout/stderr; we only wait for the launcher
  const fd = openSync(out, 'w');
  const code = await new Promise<number>((res, rej) => {
    const child = spawn(cmd, args, { cwd: dir, stdio: ['ignore', fd, fd], detached: true });
    child.on('error', rej);
    child.on('exit', (c) => res(c ?? 1));
  });
  closeSync(fd);
  if (code !== 0) throw new Error(`${name} failed to start (exit ${code}); see ${out}:\n${readFileSync(out, 'utf8').slice(-2000)}`);
}

/** What an unhealthy engine shows: its health by index, heap and breakers, and its log's last warnings. */
async function diagnose(name: EngineName): Promise<string> {
  const base = engineUrl(name);
  const get = async (path: string): Promise<string> => {
    try {
      const r = await fetch(`${base}${path}`, { signal: AbortSignal.timeout(5_000) });
      return `${r.status} ${(await r.text()).slice(0, 1_500)}`;
    } catch (e) {
      return `no answer (${(e as Error).message})`;
    }
  };
  const lines = [
    `diagnosis of ${name}:`,
    `  health: ${await get('/_cluster/health?level=indices&filter_path=status,indices.*.status')}`,
    `  heap and breakers: ${await get('/_nodes/_local/stats/jvm,breaker?filter_path=nodes.*.jvm.mem.heap_used_percent,nodes.*.breakers.*.tripped')}`,
  ];
  try {
    const logFile = join(installDir(name), 'logs', `vlrerank-${name}.log`);
    const tail = readFileSync(logFile, 'utf8').split('\n').filter((l) => /\]\[(WARN|ERROR)/.test(l) && !/deprecat|bootstrap|BootstrapChecks|caught exception while handling client http/i.test(l));
    lines.push(`  last warnings in ${logFile}:`, ...tail.slice(-12).map((l) => `    ${l.slice(0, 400)}`));
  } catch {
    /* no log yet */
  }
  return lines.join('\n');
}

/** Stop an engine we run (pid file); waits for it to exit. */
export async function stopEngine(name: EngineName, graceMs = 60_000): Promise<boolean> {
  rmSync(join(STATE_DIR, `${name}.auto`), { force: true });
  const pid = readPid(name);
  if (!pid) return false;
  log(`stopping ${name} (pid ${pid})`);
  process.kill(pid, 'SIGTERM');
  process.kill(pid, 'SIGCONT'); // a frozen (stopped) JVM handles the SIGTERM only once it runs again
  const deadline = Date.now() + graceMs;
  while (alive(pid)) {
    if (Date.now() > deadline) {
      process.kill(pid, 'SIGKILL');
      break;
    }
    await sleep(250);
  }
  rmSync(pidFile(name), { force: true });
  return true;
}

export async function status(): Promise<Record<string, unknown>> {
  const out: Record<string, unknown> = {};
  for (const name of ENGINE_NAMES) {
    const h = await engineHealth(name);
    out[name] = {
      url: engineUrl(name),
      ...h,
      pid: readPid(name) ?? null,
      installed: existsSync(join(installDir(name), '.vlrerank-install')),
      startedByTestRun: existsSync(join(STATE_DIR, `${name}.auto`)),
    };
  }
  return out;
}

function names(args: string[], fallback: EngineName[]): EngineName[] {
  if (args.length === 0) return fallback;
  for (const a of args) if (!ENGINE_NAMES.includes(a as EngineName)) throw new Error(`unknown engine "${a}"; one of ${ENGINE_NAMES.join(', ')}`);
  return args as EngineName[];
}

async function main(argv: string[]): Promise<void> {
  const [cmd, ...rest] = argv;
  switch (cmd) {
    case 'fetch':
      for (const n of names(rest, ['elasticsearch', 'opensearch'])) fetchEngine(n);
      break;
    case 'start': {
      // one at a time: two JVMs starting at once on 2 cores slow each other more than they gain
      for (const n of names(rest, ['elasticsearch', 'opensearch'])) {
        const r = await startEngine(n);
        process.stdout.write(`${n} ${r.started ? 'started' : 'already running'} on ${r.url} (${(r.ms / 1000).toFixed(1)} s)\n`);
      }
      break;
    }
    case 'stop':
      for (const n of names(rest, ENGINE_NAMES)) process.stdout.write(`${n} ${(await stopEngine(n)) ? 'stopped' : 'not running (from here)'}\n`);
      break;
    case 'status':
      process.stdout.write(`${JSON.stringify(await status(), null, 2)}\n`);
      break;
    default:
      process.stderr.write('usage: tsx scripts/engines.ts start|stop|status|fetch [elasticsearch|elasticsearch9|opensearch|opensearch3 …]\n');
      process.exit(2);
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main(process.argv.slice(2)).catch((e) => {
    process.stderr.write(`[engines] ${(e as Error).message}\n`);
    process.exit(1);
  });
}
