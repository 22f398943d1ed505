/**
 * Writes through an alias: the pipeline of the index an alias writes to.
 *
 * Pipelines match index names by pattern (`kb-*`), so a document written through an alias whose
 * own name matches no pattern (`PUT /articles/_doc/1`, `articles` → `kb-2026`) was forwarded
 * untouched and stored without its vectors or feature record, silently (held-out probe round 5).
 * When no pattern covers the name, the engine is asked what it is (`GET /_alias/{name}`, with the
 * client's own credentials): an alias writes to its write index, or to its one index; that index's
 * pipeline ingests the document. A concrete index answers 404 (not an alias): nothing to do.
 *
 * Answers are kept briefly per name (`ttlMs`) so that writes to unrelated indices cost the engine
 * one extra read per name and window, not one per write. Never throws: a failed lookup is "no
 * pipeline", the write forwarded as received (as before).
 */
import type { Pipeline, PipelineRegistry } from '../pipelines/index.js';
import type { UpstreamPool } from '../proxy/pool.js';

export interface AliasLookup {
  pool: Pick<UpstreamPool, 'request'>;
  pipelines: PipelineRegistry;
  headers: string[];
  signal?: AbortSignal;
}

interface Entry {
  at: number;
  index: Promise<string | undefined>;
}

/** The concrete index an alias writes to, from `GET /_alias/{name}`'s answer; undefined when it has none. */
export function aliasWriteIndex(answer: unknown, alias: string): string | undefined {
  if (!answer || typeof answer !== 'object' || Array.isArray(answer)) return undefined;
  const indices = Object.entries(answer as Record<string, { aliases?: Record<string, { is_write_index?: unknown }> }>).filter(([, v]) => v?.aliases && typeof v.aliases === 'object' && alias in v.aliases);
  const writer = indices.find(([, v]) => v.aliases![alias]?.is_write_index === true);
  if (writer) return writer[0];
  // an alias over several indices without a write index refuses writes: nothing to ingest
  return indices.length === 1 && indices[0]![1].aliases![alias]?.is_write_index !== false ? indices[0]![0] : undefined;
}

export class AliasPipelines {
  readonly #seen = new Map<string, Entry>();

  constructor(
    private readonly ttlMs = 10_000,
    private readonly now: () => number = Date.now,
  ) {}

  /** The ingest pipeline of the index `name` writes to, when `name` is an alias no pattern covers. */
  async ingestFor(name: string | undefined, o: AliasLookup): Promise<{ pipeline: Pipeline; index: string } | undefined> {
    if (!name || !o.pipelines.ingests || /[*,]/.test(name) || name.startsWith('_') || o.pipelines.forIndex(name)) return undefined;
    const t = this.now();
    let e = this.#seen.get(name);
    if (!e || t - e.at > this.ttlMs) {
      if (this.#seen.size >= 4096) this.#seen.clear();
      const entry: Entry = { at: t, index: this.#lookup(name, o).catch(() => {
        this.#seen.delete(name); // a failed read (an abort, a refusal) is asked again next time
        return undefined;
      }) };
      e = entry;
      this.#seen.set(name, e);
    }
    const index = await e.index;
    const pipeline = index ? o.pipelines.ingestFor(index) : undefined;
    return pipeline && index ? { pipeline, index } : undefined;
  }

  async #lookup(name: string, o: AliasLookup): Promise<string | undefined> {
    const up = await o.pool.request({ method: 'GET', path: `/_alias/${encodeURIComponent(name)}`, headers: o.headers, signal: o.signal, idempotent: true });
    const text = await up.body.text();
    if (up.statusCode !== 200) return undefined;
    return aliasWriteIndex(JSON.parse(text), name);
  }
}
