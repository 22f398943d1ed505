#!/usr/bin/env node
/**
 * Make a fresh clone runnable: the README's two commands (`npm start`, `npm test`) call this
 * first, so nothing has to be installed by hand. Plain Node, no dependencies (it runs before
 * node_modules exists).
 *
 *   - npm packages: `npm ci` when node_modules is missing or older than the lock file
 *     (ONNXRUNTIME_NODE_INSTALL=skip: its CUDA download is unreachable, the CPU binaries ship in the package)
 *   - Debian packages the project shells out to (ffmpeg for video frames, chromium for the browser
 *     tests), installed with apt-get when missing and we are root; otherwise a clear message
 *   - `--jdk 21`: say at once when no JDK of that major or later is found (Elasticsearch 9.2 and
 *     OpenSearch 3.6 need ≥ 21). Debian 12 packages none, so nothing is installed: the run goes on
 *     (unit, model and 8.19/2.19 tests still mean something) and the 9.2/3.6 tests fail when they
 *     start their engine. Looked for as scripts/engines.ts does: VLRERANK_JDK21, else
 *     /usr/lib/jvm/temurin-25-jdk-amd64, else any JDK under /usr/lib/jvm.
 *
 * Usage: node scripts/bootstrap.mjs [--apt ffmpeg,chromium] [--jdk 21]
 */
import { existsSync, lstatSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const argv = process.argv.slice(2);
const aptIdx = argv.indexOf('--apt');
const aptWanted = aptIdx >= 0 ? argv[aptIdx + 1].split(',').filter(Boolean) : ['ffmpeg'];
const jdkIdx = argv.indexOf('--jdk');
const jdkWanted = jdkIdx >= 0 ? Number(argv[jdkIdx + 1]) : 0;

function run(cmd, args, env = {}) {
  const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit', env: { ...process.env, ...env } });
  if (r.status !== 0) {
    console.error(`bootstrap: "${cmd} ${args.join(' ')}" failed (exit ${r.status})`);
    process.exit(r.status ?? 1);
  }
}

// 1. npm packages
const lock = join(root, 'package-lock.json');
const modules = join(root, 'node_modules');
const marker = join(modules, '.package-lock.json');
const stale = !existsSync(marker) || (existsSync(lock) && statSync(lock).mtimeMs > statSync(marker).mtimeMs + 1000);
let shared = false;
try {
  shared = lstatSync(modules).isSymbolicLink();
} catch {
  /* no node_modules yet */
}
if (stale && shared) {
  // a git worktree borrowing another checkout's packages: a fresh checkout's lock file is always
  // newer than them, and `npm ci` would empty the other checkout's node_modules through the link
  console.log('bootstrap: node_modules is a link to another checkout; not reinstalling it (run npm ci there if it is out of date)');
} else if (stale) {
  console.log('bootstrap: installing npm packages (npm ci)…');
  run('npm', ['ci', '--no-audit', '--no-fund'], { ONNXRUNTIME_NODE_INSTALL: 'skip' });
}

// 2. Debian packages
// a package counts as present when dpkg knows it installed (fonts have no binary to look for)
const installed = (p) => spawnSync('sh', ['-c', `dpkg-query -W -f='\${Status}' ${p} 2>/dev/null | grep -q 'install ok installed'`]).status === 0;
const missing = aptWanted.filter((p) => !installed(p));
if (missing.length) {
  if (process.getuid?.() === 0 && spawnSync('sh', ['-c', 'command -v apt-get']).status === 0) {
    console.log(`bootstrap: installing Debian packages: ${missing.join(' ')}`);
    run('apt-get', ['update', '-qq']);
    run('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...missing], { DEBIAN_FRONTEND: 'noninteractive' });
  } else {
    console.error(`bootstrap: missing ${missing.join(', ')}; install them (Debian: sudo apt-get install -y ${missing.join(' ')})`);
    process.exit(1);
  }
}

// 3. A JDK for the newer engines (warn only: apt has none to offer on Debian 12)
if (jdkWanted > 0) {
  const majorOf = (home) => {
    try {
      const m = /^JAVA_VERSION="(\d+)/m.exec(readFileSync(join(home, 'release'), 'utf8'));
      return m && existsSync(join(home, 'bin', 'java')) ? Number(m[1]) : 0;
    } catch {
      return 0;
    }
  };
  const candidates = [process.env.VLRERANK_JDK21, '/usr/lib/jvm/temurin-25-jdk-amd64'].filter(Boolean);
  try {
    candidates.push(...readdirSync('/usr/lib/jvm').map((d) => join('/usr/lib/jvm', d)));
  } catch {
    /* no /usr/lib/jvm */
  }
  if (!candidates.some((home) => majorOf(home) >= jdkWanted)) {
    console.error(
      `bootstrap: no JDK ≥ ${jdkWanted} found (VLRERANK_JDK21, /usr/lib/jvm): the Elasticsearch 9.2 and OpenSearch 3.6 tests will fail. ` +
        'Install one (e.g. Temurin 25, which Debian 12 does not package) and set VLRERANK_JDK21 to its home.',
    );
  }
}
