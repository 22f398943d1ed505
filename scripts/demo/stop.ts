/**
 * How `npm start` stops, whoever asks: Ctrl+C in a terminal, or a supervisor (systemd, a CI job,
 * `timeout`) sending SIGTERM to the npm process. On SIGINT, SIGTERM or SIGHUP — or when its parent
 * exits — it kills every child it started (each in a process group of its own, killed as a group,
 * so a grandchild such as the Maven that `engines.ts fetch` runs goes too), closes the proxy (drain,
 * warm-up, services), waits for a native model run to end (exiting inside one aborts the process,
 * exit 134) and exits. It must never leave a process of its own behind.
 *
 * Why each piece:
 * - npm forwards SIGINT and SIGTERM to its direct child only (@npmcli/run-script signal-manager.js);
 *   package.json's `exec node --import tsx …` makes that child this process, not a `sh` that dies
 *   of the signal and orphans what it started (dash does not exec a `-c` command by itself), nor
 *   tsx's CLI, which relays the signal to its own child and SIGKILLs it if the child does not
 *   acknowledge within 30 ms (a busy event loop on a loaded machine).
 * - npm does not forward SIGHUP and dies of it (so does npm under SIGKILL): its child then has a
 *   new parent, which the parent watch notices.
 * - Ctrl+C reaches npm and this process both (one terminal process group), and npm forwards its
 *   copy: the signal arrives twice, so a second one while stopping changes nothing.
 * - A local Elasticsearch that `npm start` started is a daemon with a pid file, kept for the next
 *   start (seconds instead of 10–30 s) and stopped with `npx tsx scripts/engines.ts stop
 *   elasticsearch`: it is not a child, and stopping leaves it running, as Ctrl+C always has.
 */
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { inferenceIdle } from '../../src/models/inference-idle.js';

export const STOP_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

export interface Stopper {
  /** True once a stop has begun: later failures are the stop's doing, not errors to report. */
  readonly stopping: boolean;
  /** Spawn a child in a process group of its own, killed with its group when stopping. */
  spawn(cmd: string, args: string[], options: SpawnOptions): ChildProcess;
  /** What to close on stop (the proxy), after the children are gone. */
  onStop(close: () => Promise<void>): void;
  /** Stop now (also what the signals and the parent watch call). */
  stop(why: string): Promise<never>;
}

export interface StopperOptions {
  /** Most time a stop may take before exiting regardless (the proxy's drain is bounded by server.shutdownGraceMs). */
  deadlineMs?: number;
  /** How often to check that the parent is still there. */
  parentPollMs?: number;
  say?(line: string): void;
}

export function stopOnSignals(options: StopperOptions = {}): Stopper {
  const say = options.say ?? ((line: string) => process.stdout.write(`${line}\n`));
  const groups = new Set<number>();
  const closers: Array<() => Promise<void>> = [];
  let stopping = false;

  const killGroup = (pid: number, signal: NodeJS.Signals) => {
    try {
      process.kill(-pid, signal);
    } catch {
      /* the group is gone already */
    }
  };

  const stop = async (why: string): Promise<never> => {
    if (!stopping) {
      stopping = true;
      say(`\nnpm start: ${why}: stopping…`);
      // past the deadline, exit anyway: a stop that hangs must not keep the supervisor waiting forever
      setTimeout(() => {
        say(`npm start: not stopped after ${options.deadlineMs ?? 30_000} ms; exiting`);
        for (const pid of groups) killGroup(pid, 'SIGKILL');
        process.exit(1);
      }, options.deadlineMs ?? 30_000).unref();
      for (const pid of groups) killGroup(pid, 'SIGTERM');
      for (const close of closers.reverse()) await close().catch((e: Error) => say(`npm start: while stopping: ${e.message}`));
      await inferenceIdle();
      say('npm start: stopped');
      process.exit(0);
    }
    return new Promise<never>(() => undefined);
  };

  for (const signal of STOP_SIGNALS) process.on(signal, () => void stop(signal));
  // npm does not forward SIGHUP and may be killed outright: its orphan then has a new parent
  const parent = process.ppid;
  setInterval(() => {
    if (process.ppid !== parent) void stop(`its parent (pid ${parent}) exited`);
  }, options.parentPollMs ?? 500).unref();

  return {
    get stopping() {
      return stopping;
    },
    spawn(cmd, args, spawnOptions) {
      // detached: setsid(), so the child and whatever it starts share a group that one kill reaches
      const child = spawn(cmd, args, { ...spawnOptions, detached: true });
      const pid = child.pid;
      if (pid !== undefined) {
        groups.add(pid);
        // what the child left behind in its group goes with it
        child.once('exit', () => {
          killGroup(pid, 'SIGTERM');
          groups.delete(pid);
        });
        if (stopping) killGroup(pid, 'SIGTERM');
      }
      return child;
    },
    onStop(close) {
      closers.push(close);
    },
    stop,
  };
}
