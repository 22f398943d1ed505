#!/usr/bin/env node
/**
 * prestart: build the UI (npm run build:ui → dist/ui/public) when it is missing or older than any
 * of its sources, so `npm start` on a fresh clone serves a current UI and a second start skips it.
 * Plain Node (runs before anything else).
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const built = join(root, 'dist', 'ui', 'public', 'index.html');

function newest(dir) {
  let t = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    t = Math.max(t, e.isDirectory() ? newest(p) : statSync(p).mtimeMs);
  }
  return t;
}

const src = Math.max(newest(join(root, 'src', 'ui')), statSync(join(root, 'package-lock.json')).mtimeMs);
if (existsSync(built) && statSync(built).mtimeMs >= src) process.exit(0);
console.log('building the UI (npm run build:ui)…');
// in a process group of its own, stopped as a group: SIGTERM to `npm start` while the UI builds
// reaches this process (package.json execs it), and must not leave tsc or vite running on alone
const build = spawn('npm', ['run', '-s', 'build:ui'], { cwd: root, stdio: 'inherit', detached: true });
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(signal, () => {
    try {
      process.kill(-build.pid, signal);
    } catch {
      /* already gone */
    }
  });
}
// npm does not forward SIGHUP and dies of it: its orphan stops the build itself
const parent = process.ppid;
setInterval(() => process.ppid !== parent && process.emit('SIGTERM', 'SIGTERM'), 500).unref();
build.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
