/**
 * A pipelines reload told to every replica sharing the Redis tier (`store.redis`): behind a load
 * balancer `POST /_vlrerank/pipelines/_reload` reaches one replica, and only that one reloaded
 * (fix19a's leftover, held-out probe round 19c).
 *
 * The protocol, over Redis pub/sub on one channel, `<store.redis.keyPrefix>pipelines:reload`:
 * 1. the replica asked reloads its own folder first; only a set it accepted is told on (a 400
 *    answers the caller as before, nothing is published);
 * 2. it publishes `{type: "reload", id}`; PUBLISH answers how many connections heard it, which
 *    (less its own) is how many replicas are expected to answer (a Redis Cluster counts only the
 *    node's own subscribers: there the whole wait is spent);
 * 3. each other replica re-reads **its own** folder through the same validated path (trigger
 *    `peer`: an invalid set keeps its set serving, logged, counted, shown in its health) and
 *    publishes `{type: "ack", id, replica, outcome, generation, digest, reason?}`;
 * 4. the replica asked waits for those answers up to `pipelines.reloadAckMs` and says in its
 *    answer how many were told, which answered and how (`replicas`). A replica that answers later
 *    still reloads; one that was down (or not subscribed) reads its folder when it starts.
 * 5. pub/sub keeps nothing: a replica whose connection was down when a reload was published never
 *    hears it (round fix20b's leftover). So the replica asked first writes the reload beside the
 *    channel, in the key `<keyPrefix>pipelines:last-reload` (`{id, replica, generation, digest, at}`,
 *    the same `id` as the message), and each replica remembers the last reload it heard or read. At
 *    each (re)subscription and every `pipelines.peerCheckMs` (one GET) it reads that key: a reload it
 *    has not seen whose digest is not the one it serves is a reload it missed — it re-reads its own
 *    folder (trigger `peer`, as if told). A digest equal to its own is only remembered (nothing to
 *    do). A Redis restarted without persistence forgets the key: nothing is caught up then.
 * Peers never publish a reload of their own (no echo). Pub/sub ignores the database number: two
 * deployments sharing one Redis tell each other's replicas unless their `keyPrefix`es differ
 * (harmless — each re-reads its own folder — but give each its own).
 */
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { Cluster, Redis } from 'ioredis';
import { toVlrerankError } from '../errors.js';
import { connectRedis } from '../features/store/redis-tier.js';
import type { Logger } from '../observability/logger.js';
import type { PipelineReloader } from './pipelines-reload.js';

/** One replica's answer to a reload it was told of. */
export interface PeerAck {
  replica: string;
  outcome: 'reloaded' | 'invalid' | 'failed';
  generation: number;
  digest: string;
  reason?: string;
}

/** What `_reload`'s answer says of the other replicas. */
export type PeersOutcome =
  | { fanout: 'redis'; channel: string; told: number | null; acknowledged: number; waited_ms: number; replicas: PeerAck[] }
  | { fanout: 'off' | 'failed'; reason: string };

type Conn = Parameters<typeof connectRedis>[0];

/** A reason shown to the replica asked is at most this long (a whole folder's validation errors can be KBs). */
const MAX_REASON = 1_000;

export interface PipelinePeersOptions {
  connection: Conn;
  reloader: Pick<PipelineReloader, 'reload'>;
  /** The set serving now (what an ack reports). */
  current: () => { generation: number; digest: string };
  ackMs: number;
  /** How often (ms) the last reload's key is read for a reload missed (0: at resubscription only). */
  checkMs?: number;
  logger: Logger;
}

/** What the key beside the channel holds: the last reload told. */
interface LastTold {
  id: string;
  from: string;
  replica: string;
  generation: number;
  digest: string;
  at: string;
}

export class PipelinePeers {
  readonly channel: string;
  /** This process: shown to the others (`host:pid`), and how it knows its own messages. */
  readonly replica = `${hostname()}:${process.pid}`;
  readonly #instance = randomUUID();
  readonly #o: PipelinePeersOptions;
  readonly #pub: Redis | Cluster;
  readonly #sub: Redis | Cluster;
  #subscribed = false;
  #down: string | undefined = 'connecting';
  readonly #waiting = new Map<string, { acks: PeerAck[]; expected?: number; done: () => void }>();
  #told = 0;
  readonly #lastKey: string;
  /** The id of the last reload this replica told, heard or read (undefined: none yet). */
  #seen: string | undefined;
  #caughtUp = 0;
  #checking: Promise<void> | undefined;
  readonly #timer: NodeJS.Timeout | undefined;

  constructor(options: PipelinePeersOptions) {
    this.#o = options;
    this.channel = `${options.connection.keyPrefix}pipelines:reload`;
    this.#lastKey = `${options.connection.keyPrefix}pipelines:last-reload`;
    // a reload's message is rare and small: a second more than the feature lookups' 50 ms is fine
    const conn = { ...options.connection, commandTimeoutMs: Math.max(1_000, options.connection.commandTimeoutMs) };
    this.#pub = connectRedis(conn);
    this.#sub = connectRedis(conn);
    for (const c of [this.#pub, this.#sub]) c.on('error', (e: Error) => this.#failed(e.message));
    this.#sub.on('close', () => {
      this.#subscribed = false;
      this.#down ??= 'connection closed';
    });
    // subscribed again at each (re)connection: with no offline queue, nothing may be sent before `ready`
    this.#sub.on('ready', () => {
      this.#sub.subscribe(this.channel).then(
        () => {
          if (this.#down) this.#o.logger.info({ channel: this.channel }, 'pipelines reloads: listening to the other replicas over Redis');
          this.#subscribed = true;
          this.#down = undefined;
          // whatever was published while this connection was down was never heard: read what the last one was
          void this.#catchUp('subscribed');
        },
        (e: Error) => this.#failed(e.message),
      );
    });
    // the key is read on the other connection, which reconnects on its own clock: when it comes back
    // after the subscription, the read at resubscription failed (no offline queue) — read it now
    this.#pub.on('ready', () => {
      if (this.#subscribed) void this.#catchUp('subscribed');
    });
    this.#sub.on('message', (channel: string, message: string) => {
      if (channel === this.channel) void this.#heard(message);
    });
    if (options.checkMs) {
      this.#timer = setInterval(() => {
        if (this.#subscribed) void this.#catchUp('check');
      }, options.checkMs);
      this.#timer.unref();
    }
  }

  /** Health's `pipelines.peers`. */
  status(): Record<string, unknown> {
    return { channel: this.channel, replica: this.replica, state: this.#subscribed ? 'subscribed' : 'down', ...(this.#down ? { reason: this.#down } : {}), reloads_told: this.#told, missed_reloads_caught_up: this.#caughtUp };
  }

  /** Tell the other replicas to reload, and wait up to `ackMs` for their answers. */
  async tell(): Promise<PeersOutcome> {
    if (this.#o.ackMs === 0) return { fanout: 'off', reason: 'pipelines.reloadAckMs is 0: the other replicas are not told' };
    const id = randomUUID();
    const t0 = performance.now();
    const acks: PeerAck[] = [];
    let timer: NodeJS.Timeout | undefined;
    const entry: { acks: PeerAck[]; expected?: number; done: () => void } = { acks, done: () => undefined };
    const answered = new Promise<void>((done) => {
      entry.done = done;
      timer = setTimeout(done, this.#o.ackMs);
    });
    // registered before publishing: a fast replica's answer may come before PUBLISH's reply
    this.#waiting.set(id, entry);
    try {
      // no offline queue: a connection not ready fails at once, in ioredis's words — say why in ours
      if (this.#pub.status !== 'ready') throw new Error(`Redis not connected: ${this.#down ?? this.#pub.status}`);
      // kept beside the channel first, for a replica that is not listening now (pub/sub keeps nothing)
      const now = this.#o.current();
      const last: LastTold = { id, from: this.#instance, replica: this.replica, generation: now.generation, digest: now.digest, at: new Date().toISOString() };
      this.#seen = id;
      await this.#pub.set(this.#lastKey, JSON.stringify(last));
      const heard = Number(await this.#pub.publish(this.channel, JSON.stringify({ type: 'reload', id, from: this.#instance, replica: this.replica })));
      this.#told++;
      // a Redis Cluster node counts only its own subscribers: the whole wait is spent there
      const told = this.#o.connection.cluster ? null : Math.max(0, heard - (this.#subscribed ? 1 : 0));
      if (told !== null) {
        entry.expected = told;
        if (acks.length >= told) entry.done();
      }
      await answered;
      this.#o.logger.info({ channel: this.channel, told, acknowledged: acks.length, replicas: acks }, 'pipelines reload told to the other replicas');
      return { fanout: 'redis', channel: this.channel, told, acknowledged: acks.length, waited_ms: Math.round(performance.now() - t0), replicas: [...acks] };
    } catch (e) {
      const reason = `the other replicas could not be told over Redis (${(e as Error).message}): reload each, or set pipelines.watch`;
      this.#o.logger.warn({ channel: this.channel, reason }, 'pipelines reload not told to the other replicas');
      return { fanout: 'failed', reason };
    } finally {
      clearTimeout(timer);
      this.#waiting.delete(id);
    }
  }

  async #heard(message: string): Promise<void> {
    let m: { type?: unknown; id?: unknown; from?: unknown; to?: unknown };
    try {
      m = JSON.parse(message) as typeof m;
    } catch {
      return; // not ours: someone else's publisher on this channel
    }
    if (typeof m.id !== 'string') return;
    if (m.type === 'ack') {
      if (m.to !== this.#instance) return;
      const w = this.#waiting.get(m.id);
      const a = m as unknown as PeerAck;
      if (!w || typeof a.replica !== 'string') return;
      w.acks.push({ replica: a.replica, outcome: a.outcome, generation: a.generation, digest: a.digest, ...(a.reason ? { reason: a.reason } : {}) });
      if (w.expected !== undefined && w.acks.length >= w.expected) w.done();
      return;
    }
    if (m.type !== 'reload' || m.from === this.#instance) return;
    this.#seen = m.id;
    this.#o.logger.info({ channel: this.channel, from: (m as { replica?: unknown }).replica }, 'pipelines reload asked by another replica');
    const ack = await this.#reload();
    await this.#pub.publish(this.channel, JSON.stringify({ type: 'ack', id: m.id, to: m.from, ...ack })).catch((e: Error) => this.#failed(e.message));
  }

  /** Reload this replica's own folder as a peer: what it answers (an invalid set keeps its set serving). */
  async #reload(): Promise<PeerAck> {
    try {
      const r = await this.#o.reloader.reload('peer');
      return { replica: this.replica, outcome: 'reloaded', generation: r.generation, digest: r.digest };
    } catch (e) {
      const err = toVlrerankError(e);
      const now = this.#o.current();
      return { replica: this.replica, outcome: err.code === 'VLR_PIPELINE_INVALID' ? 'invalid' : 'failed', generation: now.generation, digest: now.digest, reason: err.message.slice(0, MAX_REASON) };
    }
  }

  /** Read the last reload told (the key beside the channel); one this replica missed is done now. One check at a time. */
  #catchUp(why: 'subscribed' | 'check'): Promise<void> {
    this.#checking ??= this.#readLast(why).finally(() => (this.#checking = undefined));
    return this.#checking;
  }

  async #readLast(why: 'subscribed' | 'check'): Promise<void> {
    let last: Partial<LastTold>;
    try {
      const raw = await this.#pub.get(this.#lastKey);
      if (raw === null) return; // none told since Redis started (or it kept nothing)
      last = JSON.parse(raw) as Partial<LastTold>;
    } catch {
      // a Redis failing is said by the connection's own errors (tried again at the next check); a value someone else wrote is not ours
      return;
    }
    if (typeof last.id !== 'string' || last.id === this.#seen) return;
    this.#seen = last.id;
    // told by this process, or a set equal to the one serving: nothing missed
    if (last.from === this.#instance || last.digest === this.#o.current().digest) return;
    this.#caughtUp++;
    this.#o.logger.info({ channel: this.channel, why, from: last.replica, told_at: last.at, digest: last.digest }, 'pipelines reload missed while not listening to the other replicas: reloading now');
    await this.#reload(); // a refused folder is logged, counted and in health's last_reload by the reloader
  }

  #failed(reason: string): void {
    if (!this.#down) this.#o.logger.warn({ channel: this.channel, reason }, 'pipelines reloads: Redis failing, the other replicas are not heard from until it is back');
    this.#down = reason;
  }

  async close(): Promise<void> {
    clearInterval(this.#timer);
    for (const w of this.#waiting.values()) w.done();
    for (const c of [this.#sub, this.#pub]) {
      c.removeAllListeners('close');
      c.disconnect();
    }
  }
}
