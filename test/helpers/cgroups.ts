/**
 * Real cgroups for tests about a container's limits (serve-memory-limit, serve-cpu-quota): a fresh
 * group under the v1 controller's hierarchy or the v2 unified one (when the controller is delegated
 * there), its limit files written, and the file a process joins it by — or why there is none (not
 * root, no writable hierarchy), for the test's skip reason. `removeCgroups` removes those made.
 */
import { existsSync, mkdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface Cgroup {
  dir: string;
  procs: string;
}

/** Limit files by hierarchy: v1's (under /sys/fs/cgroup/<controller>; the first names the probe file) and v2's. */
export interface CgroupLimits {
  v1: Array<[file: string, value: string]>;
  v2: Array<[file: string, value: string]>;
}

const made: string[] = [];

/** A fresh `controller` cgroup called `name` with `limits` written, or why there is none. */
export function makeCgroup(controller: 'cpu' | 'memory', name: string, limits: CgroupLimits): Cgroup | string {
  if (process.getuid?.() !== 0) return 'needs root (to make a cgroup)';
  const v1 = `/sys/fs/cgroup/${controller}`;
  const v2 = readFileSync('/proc/self/mounts', 'utf8').includes(' /sys/fs/cgroup cgroup2 ') ? '/sys/fs/cgroup' : undefined;
  const make = (root: string, files: Array<[string, string]>): Cgroup => {
    const dir = join(root, name);
    mkdirSync(dir, { recursive: true });
    made.push(dir);
    for (const [f, v] of files) writeFileSync(join(dir, f), v);
    return { dir, procs: join(dir, 'cgroup.procs') };
  };
  try {
    if (existsSync(join(v1, limits.v1[0]![0]))) return make(v1, limits.v1);
    if (v2 && readFileSync(join(v2, 'cgroup.subtree_control'), 'utf8').includes(controller)) return make(v2, limits.v2);
  } catch (e) {
    return `cannot make a ${controller} cgroup: ${(e as Error).message}`;
  }
  return `no writable ${controller} cgroup hierarchy (v1 ${controller} controller or v2 with ${controller} delegated)`;
}

/** Remove the cgroups made so far (one still holding an exiting process stays: the next run makes another name). */
export function removeCgroups(): void {
  for (const d of made.splice(0)) {
    try {
      rmdirSync(d);
    } catch {
      // still holding a process that is exiting
    }
  }
}
