/**
 * `vlrerank index backfill` when the engine refuses its `_bulk` writes with 429 (write queue full,
 * `Retry-After`): the run stopped at the first refusal (resumable, held-out probe round 8a). Now it
 * waits what `Retry-After` asks, says so on the progress line (stderr, where no bar is drawn),
 * sends the write again and goes on — its page reads alike; past `--max-refusals` refusals in a
 * row it stops naming the 429, and a second run writes what is left. The CLI as a user runs it (node --import tsx src/cli/main.ts) with
 * real models against Elasticsearch 8.19 behind a relay that plays the 429 (`faultyEngineRelay`).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useEngine } from '../../helpers/engines.js';
import { indexCli } from '../../helpers/index-cli.js';
import { faultyEngineRelay, type FaultyRelay } from '../../helpers/upstream-fakes.js';

const INDEX = 'kb-r9-backfill-429';
let engine: string;
let relay: FaultyRelay;

const cli = indexCli;

const recorded = async () => ((await (await fetch(`${engine}/${INDEX}/_count`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: { exists: { field: 'vlrerank_features_key' } } }) })).json()) as { count: number }).count;

describe('vlrerank index backfill under the engine\'s 429', () => {
  beforeAll(async () => {
    engine = await useEngine('elasticsearch');
    relay = await faultyEngineRelay(engine);
    await fetch(`${engine}/${INDEX}`, { method: 'DELETE' });
    expect((await cli(engine, ['setup', INDEX])).code).toBe(0);
    const docs = ['oat milk', 'oat drink', 'red apple', 'oat flakes', 'green tea', 'black coffee'];
    const nd = docs.flatMap((t, i) => [JSON.stringify({ index: { _id: String(i) } }), JSON.stringify({ title: t, text: `${t}, a grocery item` })]).join('\n') + '\n';
    await fetch(`${engine}/${INDEX}/_bulk?refresh=true`, { method: 'POST', headers: { 'content-type': 'application/x-ndjson' }, body: nd });
  }, 300_000);
  afterAll(async () => {
    await relay?.close();
    await fetch(`${engine}/${INDEX}`, { method: 'DELETE' });
  });

  it('stops past --max-refusals 429s in a row, naming them; resumable', { timeout: 600_000 }, async () => {
    relay.arm('reject-429', '/_bulk', 3, '1');
    const r = await cli(relay.url, ['backfill', INDEX, '--batch', '3', '--concurrency', '1', '--max-refusals', '2', '--no-ceiling']);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain(`${INDEX}: engine busy (429 on writing feature records into [${INDEX}], Retry-After 1): waiting 1.0 s, refusal 1 of 2`);
    expect(r.stderr).toContain('refusal 2 of 2');
    expect(r.stderr).toMatch(/writing feature records into \[kb-r9-backfill-429\] was refused by the engine with 429 \(too many requests\) 3 times in a row \(Retry-After 1\): stopped after 2 waits; run again to continue/);
    expect(await recorded()).toBe(0);
  });

  it('a 429 on its page reads: waited out, and the run goes on to the end', { timeout: 600_000 }, async () => {
    relay.arm('reject-429', '/_search', 2, '1');
    const r = await cli(relay.url, ['backfill', INDEX, '--batch', '3', '--concurrency', '1', '--no-ceiling']);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain(`${INDEX}: engine busy (429 on reading [${INDEX}], Retry-After 1): waiting 1.0 s, refusal 1 of 5`);
    expect(r.stderr).toContain('refusal 2 of 5');
    expect(r.stdout).toContain(`${INDEX}: 6 documents got their feature record, 0 only part of it`);
    expect(await recorded()).toBe(6);
  });

  it('a 429 on its writes: waits out Retry-After, shows the wait, and goes on to the end', { timeout: 600_000 }, async () => {
    const nd = ['rye bread', 'oat bread', 'white rice'].flatMap((t, i) => [JSON.stringify({ index: { _id: `n${i}` } }), JSON.stringify({ title: t, text: `${t}, a grocery item` })]).join('\n') + '\n';
    await fetch(`${engine}/${INDEX}/_bulk?refresh=true`, { method: 'POST', headers: { 'content-type': 'application/x-ndjson' }, body: nd });
    relay.arm('reject-429', '/_bulk', 2, '1');
    const r = await cli(relay.url, ['backfill', INDEX, '--batch', '3', '--concurrency', '1', '--no-ceiling']);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain(`${INDEX}: engine busy (429 on writing feature records into [${INDEX}], Retry-After 1): waiting 1.0 s, refusal 1 of 5`);
    expect(r.stderr).toContain('refusal 2 of 5');
    expect(r.stdout).toContain(`${INDEX}: 3 documents got their feature record, 0 only part of it`);
    expect(await recorded()).toBe(9);
  });
});
