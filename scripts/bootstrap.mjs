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
 *
 * Usage: node scripts/bootstrap.mjs [--apt ffmpeg,chromium]
 */
import { existsSync, lstatSync, statSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const argv = process.argv.slice(2);
const aptIdx = argv.indexOf('--apt');
const aptWanted = aptIdx >= 0 ? argv[aptIdx + 1].split(',').filter(Boolean) : ['ffmpeg'];

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
