/**
 * What admission control knows about how long rerank work takes, per document of work (`cost`),
 * overall and per kind of work (a pipeline's searches, the rerank API: a search reranked from
 * stored vectors and an API call embedding new texts differ tenfold per document):
 *   - `loaded`: a moving average over finished requests, measured under the concurrency of their
 *     time (k requests sharing the CPU each take ~k× longer): what a request starting now should
 *     expect;
 *   - `alone`: over requests that ran with no other request in flight from start to end: what an
 *     idle server gives, the base of admission's latency target.
 * and, for the wait a queued request will see, ms per unit of each sort of work at the current load —
 * a text, a visual item (a photo, a sampled video frame, a photo's OCR read) — per kind
 * (`loadedMs`): a photo call is not a text call with 6× the documents (round adm27: under load its
 * wait was estimated from the searches' cheap ms per document, so photo calls queued and were
 * refused 10–30 s later).
 * Pure bookkeeping: the caller says when runs start and end, and on which clock.
 */

/** Weight of the newest sample in the moving averages. */
const ALPHA = 0.2;

export interface Run {
  readonly kind: string;
  /** Another run was in flight at some moment of this one. */
  overlapped: boolean;
}

/**
 * A request's work: `cost` in documents of work (admission's bounds), and the units it is made of —
 * `texts`, and `visual` items (images, sampled video frames, OCR reads of photos).
 */
export interface Work {
  cost: number;
  texts: number;
  visual: number;
}

/** Work counted per kind (what is queued, what runs), so its time is reckoned at each kind's rates. */
export class WorkTally {
  readonly #byKind = new Map<string, Work>();

  /** Add (sign 1) or take away (sign -1) one request's work of `kind`. */
  add(kind: string, w: Work, sign: 1 | -1 = 1): void {
    const t = this.#byKind.get(kind) ?? { cost: 0, texts: 0, visual: 0 };
    t.cost += sign * w.cost;
    t.texts += sign * w.texts;
    t.visual += sign * w.visual;
    if (t.cost <= 0) this.#byKind.delete(kind);
    else this.#byKind.set(kind, t);
  }

  entries(): IterableIterator<[string, Work]> {
    return this.#byKind.entries();
  }
}

/** Work of `cost` documents told nothing more: all texts. */
export const textWork = (cost: number): Work => ({ cost, texts: cost, visual: 0 });

interface Times {
  loaded?: number;
  /** ms per text, from runs with no visual work, and per visual item, from runs with some (the texts' share taken off), at the current load. */
  text?: number;
  visual?: number;
  alone?: number;
  /** Moving average of the cost (documents of work) of this kind's requests. */
  cost?: number;
}

export class ServiceTimes {
  readonly #all: Times = {};
  readonly #byKind = new Map<string, Times>();
  readonly #running = new Set<Run>();

  /** ms per document of work at the current load, of `kind` or of all work; undefined until one finished. */
  loaded(kind?: string): number | undefined {
    return kind === undefined ? this.#all.loaded : this.#byKind.get(kind)?.loaded;
  }

  /** ms per document of work of `kind` when it ran alone; undefined until one did. */
  alone(kind: string): number | undefined {
    return this.#byKind.get(kind)?.alone;
  }

  /** The usual cost of a request of `kind` (moving average); undefined until one finished. */
  typicalCost(kind: string): number | undefined {
    return this.#byKind.get(kind)?.cost;
  }

  /** What a request of `cost` of `kind` takes on an idle server (ms), from what is known: alone, else loaded; 0 when nothing is. */
  expectedMs(cost: number, kind: string): number {
    const t = this.#byKind.get(kind);
    return cost * (t?.alone ?? t?.loaded ?? this.#all.loaded ?? 0);
  }

  /**
   * ms the work in `tally` takes at the current load: each kind's texts at its ms per text and its
   * visual items at its ms per visual item (another kind's when its own is not measured yet), else
   * its documents at the ms per document; 0 while nothing was measured.
   */
  loadedMs(tally: WorkTally): number {
    let ms = 0;
    for (const [kind, w] of tally.entries()) ms += this.workMs(kind, w);
    return ms;
  }

  /** ms one request's (or one kind's summed) work `w` of `kind` takes at the current load (`loadedMs`). */
  workMs(kind: string, w: Work): number {
    const t = this.#byKind.get(kind);
    const perDoc = t?.loaded ?? this.#all.loaded ?? 0;
    const visual = t?.visual ?? this.#all.visual;
    if (w.visual <= 0) return w.cost * (t?.text ?? perDoc);
    if (visual === undefined) return w.cost * perDoc;
    return w.texts * (t?.text ?? this.#all.text ?? perDoc) + w.visual * visual;
  }

  /** A run starts: it and every run in flight now overlap. */
  start(kind = ''): Run {
    const run: Run = { kind, overlapped: this.#running.size > 0 };
    if (run.overlapped) for (const r of this.#running) r.overlapped = true;
    this.#running.add(run);
    return run;
  }

  /** A run of `cost` documents (made of `work`) ended after `ms`. */
  end(run: Run, ms: number, cost: number, work: Work = textWork(cost)): void {
    if (!this.#running.delete(run)) return;
    const perDoc = ms / Math.max(1, cost);
    this.#all.loaded = ewma(this.#all.loaded, perDoc, ALPHA);
    let t = this.#byKind.get(run.kind);
    if (!t) this.#byKind.set(run.kind, (t = {}));
    t.loaded = ewma(t.loaded, perDoc, ALPHA);
    t.cost = ewma(t.cost, cost, ALPHA);
    if (!run.overlapped) t.alone = ewma(t.alone, perDoc, ALPHA);
    this.#units(t, ms, work);
  }

  /** Learn ms per text (runs without visual work) and per visual item (the rest of a run's time once its texts are counted). */
  #units(t: Times, ms: number, w: Work): void {
    if (w.visual <= 0) {
      const perText = ms / Math.max(1, w.texts);
      t.text = ewma(t.text, perText, ALPHA);
      this.#all.text = ewma(this.#all.text, perText, ALPHA);
      return;
    }
    const perText = t.text ?? this.#all.text;
    // without a text rate yet, the texts' share of the run is their share of its documents of work
    const textsMs = perText !== undefined ? w.texts * perText : (ms * w.texts) / Math.max(1, w.cost);
    const perVisual = Math.max(0, ms - textsMs) / w.visual;
    t.visual = ewma(t.visual, perVisual, ALPHA);
    this.#all.visual = ewma(this.#all.visual, perVisual, ALPHA);
  }
}

const ewma = (avg: number | undefined, x: number, a: number) => (avg === undefined ? x : avg + a * (x - avg));

/**
 * The number of rerank requests admission lets run at once when a latency target is set (AIMD on
 * latency, as TCP does on loss): while runs take more than `factor` × their kind's idle-server time
 * per document (a moving average), each run shrinks the bound in proportion (never by more than half, never below 1); a run
 * within the target grows it by one per bound's worth of such runs, up to `max`. Concurrency that
 * only makes every request slower (on 2 cores, 4 rerank requests each took 4× longer, plus the
 * starved inference worker) is given up, so the requests admitted keep close to their idle
 * latency and the rest are told to come back (issue 13: admitted p99 ≤ 2× the p50 at low load).
 */
export class AdaptiveLimit {
  #bound: number;
  /** Moving average of the runs' slowdowns: one run slowed by a noisy neighbour does not halve the bound. */
  #slowdown?: number;
  constructor(readonly max: number) {
    this.#bound = max;
  }

  /** Requests that may run at once now (≥ 1). */
  get value(): number {
    return Math.max(1, Math.floor(this.#bound));
  }

  /** A run ended taking `slowdown` × its idle-server time; `factor` the target. */
  observe(slowdown: number, factor: number): void {
    if (!(factor > 0) || !Number.isFinite(slowdown) || slowdown <= 0) return;
    const s = (this.#slowdown = ewma(this.#slowdown, slowdown, ALPHA));
    if (s > factor) this.#bound = Math.max(1, this.#bound * Math.max(0.5, factor / s));
    else this.#bound = Math.min(this.max, this.#bound + 1 / this.value);
  }
}
