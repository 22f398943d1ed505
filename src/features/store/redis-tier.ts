/**
 * L3, the feature store shared by replicas: Redis through ioredis, configured by URL. Values are
 * the encoded parts of codec.ts under `<prefix>f:<feature key>`, each written with a TTL (so a
 * server running `maxmemory` with a `volatile-*` or `allkeys-*` policy evicts them first and stale
 * media ages out), values above `maxValueBytes` are not written at all (counted as skipped).
 *
 * A short lock (`SET <prefix>l:<key> <token> NX PX lockMs`) lets one replica compute a new media
 * while the others wait for its value (polling, at most `lockMs`) and then compute anyway, so two
 * replicas never pay the models twice for the same photo and a crashed holder never blocks anyone
 * for longer than the lock.
 *
 * Redis down must never slow a request by more than a few ms: no offline queue (a command while
 * disconnected fails at once), a short command time-out, no per-request retries; ioredis reconnects
 * in the background and the tier is `down` (skipped without a round trip) until it is ready again.
 * Its `reason` says why it fails *now*: the next command that succeeds clears it (a refused write on
 * a live connection — OOM, a time-out — left it in health after the tier had recovered, held-out
 * probe round 9); the last failure stays as `last_error` with its time, for an operator asking
 * "was there a blip at 01:40?". Never throws to its caller.
 *
 * The Redis a platform team already runs: a server by URL; a primary found through Redis Sentinel
 * (`sentinels`, the URL's host naming the primary) and followed across a failover; a Redis Cluster
 * (`cluster`, the URL one of its nodes: MOVED/ASK followed, a request's text vectors read per slot,
 * as MGET across slots is CROSSSLOT). Given a plain URL, both answered wrongly with the tier `ok`:
 * a cluster node refused 9 keys in 12 (MOVED) and every MGET; a primary killed left the tier down
 * (or, back as a replica, refusing every write) while the sentinels had promoted another
 * (held-out probe round 15a).
 */
import { randomBytes } from 'node:crypto';
import type { ConnectionOptions } from 'node:tls';
import { Cluster, Redis, type RedisOptions } from 'ioredis';
import type { Logger } from '../../observability/logger.js';
import { newCounters, type TierHealth, type TierHooks, type TierState, type UrlMemo } from './tier.js';

export interface RedisTierOptions {
  url: string;
  ttlSeconds: number;
  maxValueBytes: number;
  lockMs: number;
  commandTimeoutMs: number;
  keyPrefix: string;
  /** Sentinels (host:port) monitoring the primary the URL's host names. */
  sentinels?: string[];
  /** The sentinels' own password (their `requirepass`, or their ACL user's). */
  sentinelPassword?: string;
  /** The sentinels' ACL user. */
  sentinelUsername?: string;
  /** The sentinels listen with TLS. */
  sentinelTls?: boolean;
  /** PEM of the CA of the servers' (and TLS sentinels') certificates (a private CA). */
  ca?: Buffer;
  /** The URL is one node of a Redis Cluster. */
  cluster?: boolean;
  logger?: Logger;
  hooks?: TierHooks;
}

/** How often a replica waiting on another's lock looks for the value. */
const LOCK_POLL_MS = 25;

/** Release the lock only if it is still ours (it may have expired and been taken by another replica). */
const UNLOCK_LUA = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end`;

export class RedisTier {
  readonly #o: RedisTierOptions;
  readonly #redis: Redis | Cluster;
  readonly #counters = newCounters();
  #state: TierState = 'down';
  #reason: string | undefined = 'connecting';
  /** The last failure and when it happened (kept after recovery; `reason` is not). */
  #lastError: { reason: string; at: string } | undefined;
  /** The last connection-level error since the connection was last ready (a wrong password's WRONGPASS). */
  #connError: string | undefined;
  /** Why writes fail on a live connection while reads answer (READONLY, OOM, NOPERM), until one succeeds. */
  #writeFailing: string | undefined;
  /** When a failing command on a live connection was last logged, and how many failed since. */
  #warnedAt = -Infinity;
  #unlogged = 0;

  constructor(options: RedisTierOptions) {
    this.#o = options;
    this.#redis = connectRedis(options);
    this.#redis.on('ready', () => {
      if (this.#state !== 'ok') this.#o.logger?.info({ tier: 'redis' }, 'redis feature store connected');
      this.#state = 'ok';
      this.#reason = undefined;
      this.#connError = undefined;
      this.#writeFailing = undefined;
    });
    this.#redis.on('error', (e: Error) => {
      const message = sentinelHint(options, notRedis(e.message));
      // the first error of a connection is why it failed; what follows is its fall-out (an HTTP
      // port answers "H", then the write of the next command is EPIPE: health said only EPIPE)
      this.#connError ??= message;
      this.#down(new Error(message));
    });
    // a refused AUTH is an 'error' then a 'close': keep why in health (it said "connection closed")
    this.#redis.on('close', () => {
      this.#down(new Error(this.#connError ? `connection closed (${this.#connError})` : 'connection closed'));
      this.#connError = undefined;
    });
  }

  get state(): TierState {
    return this.#state;
  }

  /**
   * Resolves once the tier is `ok`, or after `ms` whatever it is. A short-lived process (the CLI, a
   * script's `process()`) asks before its first lookup: one that runs while the connection is still
   * being made skips Redis (computing what Redis holds, not writing what it computed).
   */
  whenReady(ms: number): Promise<void> {
    if (this.#state !== 'down' || this.#redis.status === 'ready') return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.#redis.off('ready', done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.#redis.on('ready', done);
    });
  }

  /**
   * The stored value of `key` as `decode` reads it (its bytes without one), or undefined: absent,
   * oversized, unreadable (`decode` threw: another format, damaged) or Redis failing. Counts one
   * lookup — a hit, a miss, or an error for a value that does not decode, which is no hit (a bad
   * value counted as a hit and an error, as the disk tier's did before round 24c).
   */
  async get(key: string): Promise<Uint8Array | undefined>;
  async get<T>(key: string, decode: (bytes: Uint8Array) => T): Promise<T | undefined>;
  async get<T>(key: string, decode?: (bytes: Uint8Array) => T): Promise<T | Uint8Array | undefined> {
    if (this.#state !== 'ok') return undefined;
    try {
      const v = await this.#redis.getBuffer(this.#valueKey(key));
      this.#answered();
      return this.#read(v, decode);
    } catch (e) {
      this.#error(e);
      return undefined;
    }
  }

  /** Several values in one round trip (MGET): text vectors of one request. Each counted as `get` counts it. */
  async getMany(keys: string[]): Promise<Array<Uint8Array | undefined>>;
  async getMany<T>(keys: string[], decode: (bytes: Uint8Array) => T): Promise<Array<T | undefined>>;
  async getMany<T>(keys: string[], decode?: (bytes: Uint8Array) => T): Promise<Array<T | Uint8Array | undefined>> {
    if (this.#state !== 'ok' || keys.length === 0) return keys.map(() => undefined);
    try {
      const names = keys.map((k) => this.#valueKey(k));
      // a cluster refuses MGET across slots (CROSSSLOT): one GET each, which ioredis sends to each
      // key's node, pipelined per node (enableAutoPipelining)
      const vs = this.#redis instanceof Cluster ? await Promise.all(names.map((n) => this.#redis.getBuffer(n))) : await this.#redis.mgetBuffer(...names);
      this.#answered();
      return vs.map((v) => this.#read(v, decode));
    } catch (e) {
      this.#error(e);
      return keys.map(() => undefined);
    }
  }

  /** Keep `bytes` under `key` with the TTL (fire and forget). */
  set(key: string, bytes: Uint8Array): void {
    if (this.#state !== 'ok') return;
    if (bytes.byteLength > this.#o.maxValueBytes) {
      this.#counters.skipped++;
      return;
    }
    this.#redis.set(this.#valueKey(key), Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength), 'EX', this.#o.ttlSeconds).then(
      () => {
        this.#counters.writes++;
        this.#answered(true);
      },
      (e: unknown) => this.#error(e, true),
    );
  }

  /**
   * A URL's validators (known-media.ts: the object's identity → ETag / Last-Modified / content hash),
   * kept beside the features with their TTL so a replica that restarts (or another one) revalidates
   * a URL seen before instead of downloading it (fix15). Not counted as feature lookups; Redis
   * failing or an unreadable value: undefined.
   */
  async urlMemoGet(identity: string): Promise<UrlMemo | undefined> {
    if (this.#state !== 'ok') return undefined;
    try {
      const v = await this.#redis.get(this.#urlKey(identity));
      this.#answered();
      const m = v ? (JSON.parse(v) as Partial<UrlMemo>) : undefined;
      return m && typeof m.contentHash === 'string' ? { contentHash: m.contentHash, ...(typeof m.etag === 'string' ? { etag: m.etag } : {}), ...(typeof m.lastModified === 'string' ? { lastModified: m.lastModified } : {}) } : undefined;
    } catch (e) {
      if (!(e instanceof SyntaxError)) this.#error(e);
      return undefined;
    }
  }

  /** Keep a URL's validators with the TTL (fire and forget). */
  urlMemoSet(identity: string, memo: UrlMemo): void {
    if (this.#state !== 'ok') return;
    this.#redis.set(this.#urlKey(identity), JSON.stringify(memo), 'EX', this.#o.ttlSeconds).then(
      () => this.#answered(),
      (e: unknown) => this.#error(e),
    );
  }

  /**
   * Try to become the one replica computing `key`: a token when this caller holds the lock (or
   * Redis cannot say: then everyone computes, as without Redis), undefined when another holds it.
   */
  async lock(key: string): Promise<string | undefined> {
    const token = randomBytes(8).toString('hex');
    if (this.#state !== 'ok') return token;
    try {
      const r = await this.#redis.set(this.#lockKey(key), token, 'PX', this.#o.lockMs, 'NX');
      this.#answered(true);
      return r === 'OK' ? token : undefined;
    } catch (e) {
      this.#error(e, true);
      return token;
    }
  }

  unlock(key: string, token: string): void {
    if (this.#state !== 'ok') return;
    this.#redis.eval(UNLOCK_LUA, 1, this.#lockKey(key), token).then(
      () => this.#answered(true),
      (e: unknown) => this.#error(e, true),
    );
  }

  /**
   * Wait (at most lockMs) for another replica's value of `key`, as `decode` reads it (its bytes
   * without one); undefined when it does not come, or comes and does not decode (counted as `get` counts it).
   */
  async waitFor(key: string, signal?: AbortSignal): Promise<Uint8Array | undefined>;
  async waitFor<T>(key: string, signal: AbortSignal | undefined, decode: (bytes: Uint8Array) => T): Promise<T | undefined>;
  async waitFor<T>(key: string, signal?: AbortSignal, decode?: (bytes: Uint8Array) => T): Promise<T | Uint8Array | undefined> {
    const until = performance.now() + this.#o.lockMs;
    while (performance.now() < until && this.#state === 'ok' && !signal?.aborted) {
      await new Promise((r) => setTimeout(r, LOCK_POLL_MS));
      try {
        const v = await this.#redis.getBuffer(this.#valueKey(key));
        if (v) return this.#read(v, decode);
        if (!(await this.#redis.exists(this.#lockKey(key)))) {
          // the lock is gone: the holder wrote its value just before releasing it (one connection,
          // in order), or gave up. Between our GET and this EXISTS it may have done both: look once more.
          const last = await this.#redis.getBuffer(this.#valueKey(key));
          if (last) return this.#read(last, decode);
          break; // the holder gave up: compute
        }
      } catch (e) {
        this.#error(e);
        return undefined;
      }
    }
    this.#count('miss');
    return undefined;
  }

  /** One looked-up value counted and decoded: a miss, a hit, or — not decoding — this tier's error only. */
  #read<T>(v: Buffer | null, decode?: (bytes: Uint8Array) => T): T | Uint8Array | undefined {
    if (!v) {
      this.#count('miss');
      return undefined;
    }
    let value: T | Uint8Array = v;
    try {
      if (decode) value = decode(v);
    } catch {
      this.#counters.errors++;
      this.#o.hooks?.onError?.('redis');
      this.#o.hooks?.onLookup?.('redis', 'error');
      return undefined;
    }
    this.#count('hit');
    return value;
  }

  health(): TierHealth {
    return { state: this.#state, ...this.#counters, ...(this.#reason ? { reason: this.#reason } : {}), ...(this.#lastError ? { last_error: this.#lastError } : {}) };
  }

  async close(): Promise<void> {
    this.#state = 'off';
    this.#redis.removeAllListeners('close');
    this.#redis.disconnect();
  }

  #valueKey(key: string): string {
    return `${this.#o.keyPrefix}f:${key}`;
  }

  #urlKey(identity: string): string {
    return `${this.#o.keyPrefix}u:${identity}`;
  }

  #lockKey(key: string): string {
    return `${this.#o.keyPrefix}l:${key}`;
  }

  #count(outcome: 'hit' | 'miss'): void {
    if (outcome === 'hit') this.#counters.hits++;
    else this.#counters.misses++;
    this.#o.hooks?.onLookup?.('redis', outcome);
  }

  #error(e: unknown, write = false): void {
    this.#counters.errors++;
    this.#o.hooks?.onError?.('redis');
    this.#o.hooks?.onLookup?.('redis', 'error');
    if (write) this.#writeFailing = (e as Error)?.message ?? String(e);
    this.#down(e);
  }

  /**
   * A command answered on a ready connection: the tier works now, whatever failed before — except
   * refused writes, which only a write that succeeds clears: a replica given as the URL (READONLY),
   * `noeviction` OOM or an ACL without `+set` refuse every write while every read answers, and
   * health flickered between `reason: READONLY…` and none (held-out probe round 15a).
   */
  #answered(write = false): void {
    if (write) this.#writeFailing = undefined;
    if (this.#state === 'ok') this.#reason = this.#writeFailing;
  }

  #down(e: unknown): void {
    if (this.#state === 'off') return;
    const reason = (e as Error)?.message ?? String(e);
    this.#lastError = { reason, at: new Date().toISOString() };
    if (this.#redis.status !== 'ready') {
      if (this.#state === 'ok') this.#o.logger?.warn({ tier: 'redis', err: reason }, 'redis feature store failing: skipped until it answers again');
      // never connected (a wrong password, an untrusted CA, nothing listening): said once, as a
      // failure after a start would be — it was in health only (held-out probe round 15a)
      else if (this.#reason === 'connecting') this.#o.logger?.warn({ tier: 'redis', err: reason }, 'redis feature store not reachable at start: skipped until it answers');
      this.#reason = reason;
      this.#state = 'down';
      return;
    }
    this.#reason = reason;
    // a command failing on a live connection (a time-out, OOM under `maxmemory` with `noeviction`,
    // READONLY, NOPERM) is counted but does not take the tier down — and is logged at most once a
    // minute: every such write logged its own line ("skipped until…", which it was not)
    this.#unlogged++;
    const now = performance.now();
    if (now - this.#warnedAt < WARN_EVERY_MS) return;
    this.#o.logger?.warn({ tier: 'redis', err: reason, failures: this.#unlogged }, 'redis feature store commands failing (the tier stays in use; this line at most once a minute)');
    this.#warnedAt = now;
    this.#unlogged = 0;
  }
}

/**
 * ioredis's parser meeting bytes that are not RESP (`Unknown RESP type 72 "H". Please report this.`)
 * means the URL names something else — an HTTP port (72 is "H"), a TLS port asked in clear.
 */
function notRedis(message: string): string {
  const m = /^Unknown RESP type (\d+)/.exec(message);
  if (!m) return message;
  const c = String.fromCharCode(Number(m[1]));
  return `not a Redis server: it answered ${JSON.stringify(c)}${c === 'H' ? ' (an HTTP server?)' : ''}`;
}

/**
 * ioredis drops why each sentinel failed ("All sentinels are unreachable … Last error: Connection is
 * closed."): a TLS sentinel asked in clear, or one whose certificate is not trusted, says only that.
 * Name the likely cause.
 */
function sentinelHint(o: RedisTierOptions, message: string): string {
  if (!message.startsWith('All sentinels are unreachable')) return message;
  return `${message} (sentinels ${o.sentinels!.join(', ')} asked ${o.sentinelTls ? 'over TLS: is their certificate signed by store.redis.ca?' : 'in clear: TLS sentinels need store.redis.sentinelTls'})`;
}

/** Reconnect backoff: 100 ms, 200 ms, … at most 2 s. */
const retryStrategy = (times: number) => Math.min(100 * times, 2_000);

/**
 * The ioredis client `o` asks for (the URL, Sentinel or Cluster, TLS and its CA). Every mode keeps
 * the tier's rules: no offline queue, no per-request retries, a short command time-out, background
 * reconnects. The tier's own connection, and what the server uses for pipeline reloads told between
 * replicas (server/pipelines-peers.ts).
 */
export function connectRedis(o: Omit<RedisTierOptions, 'ttlSeconds' | 'maxValueBytes' | 'lockMs' | 'logger' | 'hooks'>): Redis | Cluster {
  const common: RedisOptions = {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    commandTimeout: o.commandTimeoutMs,
    connectTimeout: Math.max(1_000, o.commandTimeoutMs),
    retryStrategy,
    lazyConnect: false,
  };
  const tls: ConnectionOptions = o.ca ? { ca: o.ca } : {};
  const rediss = /^rediss:/i.test(o.url);
  if (o.cluster) {
    const u = new URL(o.url);
    // (a node's own retryStrategy kept the cluster from getting ready: the cluster reconnects its nodes)
    const { retryStrategy: _nodes, ...node } = common;
    return new Cluster([{ host: u.hostname.replace(/^\[|\]$/g, ''), port: Number(u.port || 6379) }], {
      // the cluster's own queue holds only its ready check (`CLUSTER INFO` sent while the nodes
      // connect: without it, every start failed once, "Connection is closed"); the tier sends
      // nothing until the cluster is ready, and each node still fails fast (its own queue off)
      enableOfflineQueue: true,
      enableAutoPipelining: true,
      clusterRetryStrategy: retryStrategy,
      // MOVED/ASK are followed at once; a node down, CLUSTERDOWN or TRYAGAIN fail the command now
      // rather than be retried every 100 ms up to 16 times: with one master of three SIGKILLed,
      // each lookup waited ~1.7 s (the tier's rule: Redis failing costs a request a few ms). The
      // slot map is refreshed every 5 s (slotsRefreshInterval) and after each MOVED.
      retryDelayOnFailover: 0,
      retryDelayOnClusterDown: 0,
      retryDelayOnTryAgain: 0,
      maxRedirections: 4,
      slotsRefreshInterval: 5_000,
      // the cluster's own address for each node (CLUSTER SLOTS); TLS checks the seed's name on each
      redisOptions: {
        ...node,
        ...(u.username || u.password ? { username: decodeURIComponent(u.username) || undefined, password: decodeURIComponent(u.password) } : {}),
        ...(u.protocol === 'rediss:' ? { tls: { ...tls, servername: u.hostname } } : {}),
      },
    });
  }
  if (o.sentinels?.length) {
    return new SentinelRedis(o.url, {
      ...common,
      sentinels: o.sentinels.map(hostAndPort),
      ...(o.sentinelPassword ? { sentinelPassword: o.sentinelPassword } : {}),
      ...(o.sentinelUsername ? { sentinelUsername: o.sentinelUsername } : {}),
      ...(o.sentinelTls ? { sentinelTLS: tls } : {}),
      // rediss://: the primary the sentinels name is asked over TLS too — ioredis otherwise opens a
      // plain connection to it whatever the URL says (fix17)
      ...(rediss ? { tls, enableTLSForSentinelMode: true } : {}),
      // the URL's host is the primary's name as the sentinels know it (case kept: WHATWG URLs lower it)
      name: /^rediss?:\/\/(?:[^@/]*@)?([^:/?#]+)/.exec(o.url)![1],
      sentinelRetryStrategy: retryStrategy,
      // a sentinel that does not answer (stopped, its host gone without a reset) is given up for the
      // next one: without a time-out the question waited for ever, and the tier with it, while the
      // other sentinels named the promoted replica (fix23s)
      sentinelCommandTimeout: Math.max(1_000, o.commandTimeoutMs),
      // a READONLY answer: the server we hold was demoted (a failover we have not seen yet): ask the
      // sentinels again rather than keep writing to a replica
      reconnectOnError: (e) => e.message.startsWith('READONLY'),
      // follow +switch-master at once instead of at the next failing command
      failoverDetector: true,
    });
  }
  return new Redis(o.url, rediss ? { ...common, tls } : common);
}

/**
 * A client of a primary found through sentinels that never gives up on its own. ioredis 6 ends a
 * sentinel client for good (status `end`: no `retryStrategy`, no 'close', never `ready` again) when
 * its connector is disconnected while a reconnect is asking a sentinel for the primary: the failover
 * detector of the connection the dead primary closed is still subscribed, the sentinels' +switch-master
 * arrives during that question (`SentinelConnector.connect` then throws "Connection is closed."), and
 * `Redis#connect` turns the rejection into `end`. Under load that question takes long enough to be
 * hit: the tier stayed `down` while all sentinels named the promoted replica (flake23, 5 runs in 21).
 * So an `end` we did not ask for (`disconnect()`) is followed by `connect()` after the reconnect
 * back-off, again until one is ready. (Closed with `disconnect()` only: after `quit()` it would reconnect.)
 */
class SentinelRedis extends Redis {
  #closing = false;
  #ended = 0;

  constructor(url: string, options: RedisOptions) {
    super(url, options as RedisOptions & { replyMapping?: 'legacy' }); // (the tier never asks for RESP3's reply mapping)
    this.on('ready', () => (this.#ended = 0));
    this.on('end', () => {
      if (this.#closing) return;
      setTimeout(() => {
        if (!this.#closing && this.status === 'end') this.connect().catch(() => {}); // its failure is an 'error' event, and ends it again
      }, retryStrategy(++this.#ended)).unref();
    });
  }

  override disconnect(reconnect = false): void {
    if (!reconnect) this.#closing = true;
    super.disconnect(reconnect);
  }
}

function hostAndPort(hp: string): { host: string; port: number } {
  const i = hp.lastIndexOf(':');
  return { host: hp.slice(0, i).replace(/^\[|\]$/g, ''), port: Number(hp.slice(i + 1)) };
}

/** Failing commands on a live connection are logged at most this often. */
const WARN_EVERY_MS = 60_000;
