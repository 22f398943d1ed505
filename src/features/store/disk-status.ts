/**
 * The disk tier's state and counters: `ok` / `down` / `failed`, why, the last failure and when
 * (kept after recovery, as the Redis tier keeps its own), hits, misses, errors, writes, skipped —
 * with the hook call and the log line each change makes. disk-tier.ts decides when they change.
 */
import type { Logger } from '../../observability/logger.js';
import { newCounters, type TierHealth, type TierHooks, type TierState } from './tier.js';

export class DiskStatus {
  state: TierState = 'ok';
  reason: string | undefined;
  lastError: { reason: string; at: string } | undefined;
  readonly counters = newCounters();

  constructor(
    readonly path: string,
    readonly logger: Logger | undefined,
    readonly hooks: TierHooks,
  ) {}

  count(outcome: 'hit' | 'miss'): void {
    if (outcome === 'hit') this.counters.hits++;
    else this.counters.misses++;
    this.hooks.onLookup?.('disk', outcome);
  }

  /** A failing read or write: counted; an `ok` tier goes `down`. */
  error(e: unknown): void {
    this.counters.errors++;
    this.hooks.onError?.('disk');
    this.hooks.onLookup?.('disk', 'error');
    if (this.state === 'ok') this.fail('down', e);
  }

  /** A value that does not decode (another format, damaged): the lookup counted as this tier's error, not a hit. */
  unreadable(): void {
    this.counters.errors++;
    this.hooks.onError?.('disk');
    this.hooks.onLookup?.('disk', 'error');
  }

  /** A write skipped for want of room: counted; an `ok` tier goes `down`. */
  skip(reason: string): false {
    this.counters.skipped++;
    if (this.state === 'ok') this.error(new Error(reason));
    return false;
  }

  fail(state: 'down' | 'failed', e: unknown): void {
    this.state = state;
    this.setReason((e as Error)?.message ?? String(e));
    if (state === 'failed') {
      this.counters.errors++;
      this.hooks.onError?.('disk');
    }
    this.logger?.warn({ tier: 'disk', path: this.path, state, err: this.reason }, state === 'failed' ? 'disk feature store cannot be used: running without it' : 'disk feature store failing: skipped until a write succeeds');
  }

  setReason(reason: string): void {
    this.reason = reason;
    this.lastError = { reason, at: new Date().toISOString() };
  }

  recover(): void {
    this.state = 'ok';
    this.reason = undefined;
    this.logger?.info({ tier: 'disk', path: this.path }, 'disk feature store answering again');
  }

  health(maxBytes: number): TierHealth {
    const h: TierHealth = { state: this.state, ...this.counters, maxBytes };
    if (this.reason) h.reason = this.reason;
    if (this.lastError) h.last_error = this.lastError;
    return h;
  }
}
