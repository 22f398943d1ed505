/**
 * `pipelines.watch`: reload the pipelines folder when it changes, so that every replica picks up a
 * change made to its own folder without being asked (`POST /_vlrerank/pipelines/_reload` reaches
 * the one replica a load balancer sends it to: held-out probe round 19c / fix19a's leftover).
 *
 * Two ways of seeing a change, both ending in one comparison of the folder's digest
 * (pipelines/load.ts `pipelinesFolderDigest`: each pipeline file's name and bytes, through
 * symlinks) with the digest last acted on:
 * - fs.watch on the folder, debounced (an editor's save or a `kubectl cp` is several events);
 * - a check every `pipelines.watchIntervalMs`, whatever fs.watch says: fs.watch misses changes on
 *   some mounts (network and FUSE file systems, some ConfigMap volumes), and a folder reached
 *   through a symlink that is repointed (`pipelines -> releases/42`) is watched at the folder it
 *   named when the watch began. The watch is set again when the folder's real path changes.
 * A Kubernetes ConfigMap volume updates by swapping its `..data` symlink: the `x.yaml` names stay,
 * their targets change, and the digest (read through the links) sees it.
 *
 * A changed digest reloads through the validated path (`PipelineReloader`, trigger `watch`): an
 * invalid set keeps the one serving, is logged, counted and shown in health — and is not tried
 * again until the folder changes again (one error line per change, not one per check).
 */
import { realpathSync, watch, type FSWatcher } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import type { Logger } from '../observability/logger.js';
import { pipelinesFolderDigest } from '../pipelines/index.js';
import type { PipelineReloader } from './pipelines-reload.js';

/** fs.watch events closer together than this are one change. */
const DEBOUNCE_MS = 300;

export interface PipelinesWatchOptions {
  dir: string;
  /** The folder's digest when the set serving was read (default: now). */
  digest?: string;
  intervalMs: number;
  reloader: Pick<PipelineReloader, 'reload'>;
  logger: Logger;
}

export class PipelinesWatch {
  readonly #o: PipelinesWatchOptions;
  readonly #abs: string;
  #digest: string;
  #watcher: FSWatcher | undefined;
  /** The real path the watch was set on (a repointed symlink makes it another). */
  #watched: string | undefined;
  #debounce: NodeJS.Timeout | undefined;
  readonly #interval: NodeJS.Timeout;
  /** A check under way, and whether another was asked meanwhile. */
  #checking: Promise<void> | undefined;
  #again = false;
  #closed = false;
  #changes = 0;
  #lastCheck: string | undefined;

  /** Starts watching at once; the set serving is taken to be what the folder holds now. */
  constructor(options: PipelinesWatchOptions) {
    this.#o = options;
    this.#abs = isAbsolute(options.dir) ? options.dir : resolve(options.dir);
    this.#digest = options.digest ?? pipelinesFolderDigest(this.#abs);
    this.#arm();
    this.#interval = setInterval(() => void this.check(), options.intervalMs).unref();
  }

  /** Health's `pipelines.watch`. */
  status(): Record<string, unknown> {
    return { state: this.#closed ? 'off' : this.#watcher ? 'watching' : 'polling', interval_ms: this.#o.intervalMs, changes_seen: this.#changes, ...(this.#lastCheck ? { last_check: this.#lastCheck } : {}) };
  }

  /** Compare the folder with the digest last acted on, and reload when it changed (checks never overlap). */
  check(): Promise<void> {
    if (this.#closed) return Promise.resolve();
    if (this.#checking) {
      this.#again = true;
      return this.#checking;
    }
    this.#checking = this.#check().finally(() => {
      this.#checking = undefined;
      if (this.#again) {
        this.#again = false;
        void this.check();
      }
    });
    return this.#checking;
  }

  async #check(): Promise<void> {
    this.#arm();
    this.#lastCheck = new Date().toISOString();
    const now = pipelinesFolderDigest(this.#abs);
    if (now === this.#digest) return;
    this.#digest = now;
    this.#changes++;
    this.#o.logger.info({ dir: this.#o.dir }, 'pipelines folder changed: reloading');
    // an invalid set is logged, counted and kept in health by the reloader; the watch waits for the next change
    await this.#o.reloader.reload('watch').catch(() => undefined);
  }

  /** Watch the folder's real path (again, when a symlink on the way now points elsewhere, or the watch ended). */
  #arm(): void {
    let real: string | undefined;
    try {
      real = realpathSync(this.#abs);
    } catch {
      real = undefined;
    }
    if (this.#watcher && real === this.#watched) return;
    this.#watcher?.close();
    this.#watcher = undefined;
    this.#watched = real;
    if (!real || this.#closed) return;
    try {
      const w = watch(real, { persistent: false }, () => this.#changed());
      // the folder deleted, or a watch limit (ENOSPC: fs.inotify.max_user_watches): the interval's checks go on
      w.on('error', (e) => {
        this.#o.logger.warn({ dir: this.#o.dir, err: e.message }, `pipelines folder watch ended; checking every ${this.#o.intervalMs} ms`);
        if (this.#watcher === w) this.#watcher = undefined;
        w.close();
      });
      this.#watcher = w;
    } catch (e) {
      this.#o.logger.warn({ dir: this.#o.dir, err: (e as Error).message }, `pipelines folder cannot be watched; checking every ${this.#o.intervalMs} ms`);
    }
  }

  #changed(): void {
    clearTimeout(this.#debounce);
    this.#debounce = setTimeout(() => void this.check(), DEBOUNCE_MS).unref();
  }

  close(): void {
    this.#closed = true;
    clearInterval(this.#interval);
    clearTimeout(this.#debounce);
    this.#watcher?.close();
    this.#watcher = undefined;
  }
}
