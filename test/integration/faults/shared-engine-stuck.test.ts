/**
 * The engines every suite shares (scripts/engines.ts) must not turn one bad moment into a failed run.
 * A CI run timed out when Elasticsearch 8.19, alive but no longer answering healthy, made each later
 * suite wait 180 s for it and fail. Now startEngine, finding an engine of ours alive but not healthy
 * for `stuckMs`, says what it showed and restarts it (its data kept); and a red cluster — one index
 * whose primary cannot be assigned — is used, as the node still serves every other index.
 *
 * Real OpenSearch 2.19 (the quickest of the four to start): frozen with SIGSTOP, a node that accepts
 * connections and never answers (the fault a heap it cannot free looks like from outside), and an
 * index made red by an allocation rule no node meets.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { STATE_DIR, enginePid, engineHealth, startEngine } from '../../../scripts/engines.js';
import { useEngine } from '../../helpers/engines.js';

const ENGINE = 'opensearch' as const;
const KEPT = 'stuck-engine-kept';
// more indices for the restarted node to recover: it is red, with nothing initialising yet, for the
// moment its gateway reads them — the moment a CI run's startEngine mistook for a usable red cluster
const MORE = Array.from({ length: 8 }, (_, i) => `stuck-engine-more-${i}`);
const RED = 'stuck-engine-red';
let base = '';

async function call(method: string, path: string, body?: unknown): Promise<{ status: number; body: any }> {
  const r = await fetch(`${base}${path}`, { method, headers: body ? { 'content-type': 'application/json' } : {}, body: body ? JSON.stringify(body) : undefined });
  return { status: r.status, body: await r.json() };
}

beforeAll(async () => {
  base = await useEngine(ENGINE);
  await call('DELETE', `/${[KEPT, RED, ...MORE].join(',')}?ignore_unavailable=true`);
  expect((await call('PUT', `/${KEPT}/_doc/1?refresh=true`, { title: 'kept across the restart' })).status).toBe(201);
  for (const index of MORE) expect((await call('PUT', `/${index}/_doc/1`, { n: index })).status).toBe(201);
  await call('POST', `/${MORE.join(',')}/_flush`);
});

afterAll(async () => {
  const pid = enginePid(ENGINE);
  if (pid) process.kill(pid, 'SIGCONT'); // never leave the shared engine frozen
  await startEngine(ENGINE, { auto: true });
  await call('DELETE', `/${[KEPT, RED, ...MORE].join(',')}?ignore_unavailable=true`);
});

describe('the shared engines', () => {
  it('an engine of ours frozen past stuckMs is restarted, with its data, and a later call reuses it', { timeout: 150_000 }, async () => {
    const frozen = enginePid(ENGINE);
    expect(frozen).toBeGreaterThan(0);
    // who owns the engine (a test run, or a person who started it by hand) survives the restart:
    // a restarted hand-started engine marked as a test run's was stopped by the next run's teardown
    const auto = join(STATE_DIR, `${ENGINE}.auto`);
    const owned = existsSync(auto);
    process.kill(frozen!, 'SIGSTOP');
    expect((await engineHealth(ENGINE, 1_000)).healthy).toBe(false);

    const r = await startEngine(ENGINE, { auto: true, stuckMs: 3_000 });
    expect(r.started).toBe(true);
    const now = enginePid(ENGINE);
    expect(now).toBeGreaterThan(0);
    expect(now).not.toBe(frozen);
    expect((await engineHealth(ENGINE)).healthy).toBe(true);
    expect(existsSync(auto)).toBe(owned);
    const doc = await call('GET', `/${KEPT}/_doc/1`);
    expect(doc.body._source).toEqual({ title: 'kept across the restart' });
    for (const index of MORE) expect((await call('GET', `/${index}/_doc/1`)).body._source).toEqual({ n: index });

    const again = await startEngine(ENGINE, { auto: true, stuckMs: 3_000 });
    expect(again.started).toBe(false);
    expect(enginePid(ENGINE)).toBe(now);
  });

  it('a red cluster (an index no node may hold) is used, not restarted, even just after a restart', { timeout: 90_000 }, async () => {
    const made = await call('PUT', `/${RED}?wait_for_active_shards=0`, { settings: { number_of_shards: 1, number_of_replicas: 0, 'index.routing.allocation.require._name': 'no-such-node' } });
    expect(made.status).toBe(200);
    const h = await engineHealth(ENGINE);
    expect(h.status).toBe('red');
    expect(h.healthy).toBe(false);
    const pid = enginePid(ENGINE);
    const r = await startEngine(ENGINE, { auto: true, stuckMs: 3_000, timeoutMs: 60_000 });
    expect(r.started).toBe(false);
    expect(enginePid(ENGINE)).toBe(pid);
    expect((await call('GET', `/${KEPT}/_doc/1`)).body.found).toBe(true);
  });
});
