/**
 * Real engines for integration tests: `await useEngine('elasticsearch')` → base URL of a healthy
 * single-node engine on 127.0.0.1, started on first use (so unit-only runs start nothing) or
 * reused when one already answers. Engines a test run starts are stopped by its global teardown
 * (test/helpers/global-setup.ts) once no other test run is using them.
 *
 * Which engine versions the version-sensitive suites run on — the drop-in equality tests (official
 * client direct vs through the proxy, engine detection) and the rerank syntaxes — is said once
 * here: Elasticsearch 8.19 and 9.2, OpenSearch 2.19 and 3.6 (scripts/engines.ts). The other
 * integration tests stay on one version of each engine (8.19, 2.19) to keep the run short.
 *
 * ES 9.2 and OpenSearch 3.6 need a JDK ≥ 21 (VLRERANK_JDK21, else /usr/lib/jvm/temurin-25-jdk-amd64,
 * else the newest JDK ≥ 21 under /usr/lib/jvm; Debian 12 packages none). Without one their tests
 * fail at start-up with a message saying so — they are not skipped, so CI cannot go green without
 * them. On a machine without such a JDK a person may narrow the version lists below on purpose
 * with VLRERANK_TEST_ENGINES=elasticsearch,opensearch (a comma list of engine names).
 */
import { ENGINES as SPECS, ENGINE_NAMES, startEngine, engineUrl, type EngineName } from '../../scripts/engines.js';

export type { EngineName };
export type Distribution = 'elasticsearch' | 'opensearch';

const started = new Map<EngineName, Promise<string>>();

export function useEngine(name: EngineName): Promise<string> {
  let p = started.get(name);
  if (!p) {
    p = startEngine(name, { auto: true }).then(() => engineUrl(name));
    p.catch(() => started.delete(name));
    started.set(name, p);
  }
  return p;
}

/** Elasticsearch or OpenSearch: which official client and which dialect an engine wants. */
export function distributionOf(name: EngineName): Distribution {
  return SPECS[name].distribution;
}

/** The engine's version as its nodes report it (e.g. `9.2.0`). */
export function versionOf(name: EngineName): string {
  return SPECS[name].version;
}

function selected(names: EngineName[]): EngineName[] {
  const only = process.env.VLRERANK_TEST_ENGINES?.split(',').map((s) => s.trim()).filter(Boolean);
  if (!only?.length) return names;
  for (const n of only) if (!ENGINE_NAMES.includes(n as EngineName)) throw new Error(`VLRERANK_TEST_ENGINES: unknown engine "${n}"; one of ${ENGINE_NAMES.join(', ')}`);
  return names.filter((n) => only.includes(n));
}

/** Elasticsearch versions the version-sensitive suites run on (8.19 client against both). */
export const ES_VERSIONS: EngineName[] = selected(['elasticsearch', 'elasticsearch9']);
/** OpenSearch versions the version-sensitive suites run on. */
export const OS_VERSIONS: EngineName[] = selected(['opensearch', 'opensearch3']);
/** Every engine version: Elasticsearch first, then OpenSearch. */
export const ALL_VERSIONS: EngineName[] = [...ES_VERSIONS, ...OS_VERSIONS];
