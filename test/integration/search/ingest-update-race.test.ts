/**
 * Held-out probe round 31g: an `_update` whose partial `doc` gets the record of the document it
 * makes (stored ⊕ partial) must describe the document the engine stores, when another write of the
 * same document lands between vlrerank's read of the stored document and its update. Before, the
 * update went unconditioned: the engine merged the partial onto the newer document (another photo)
 * and stored it with the record of the old one — the final document's record described another
 * write's photo. Now the update goes conditioned on the `_seq_no` read (a client that gave no
 * condition of its own) and a conflict that condition caused is read, computed and sent again.
 *
 * Deterministic: a relay in front of the real engine holds the first `_update` until the other
 * client's write (through vlrerank, with its own record) has landed. Real Elasticsearch 8.19 and
 * OpenSearch 2.19, the real image and text models, grocery photos.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setupIndex } from '../../../src/engine/mapping.js';
import { contentId, parseRecord, unpackRecord } from '../../../src/features/record/index.js';
import { documentFromSource } from '../../../src/pipelines/document.js';
import { documentText } from '../../../src/rerank/read-text.js';
import { countingRelay, type CountingRelay } from '../../helpers/counting-relay.js';
import { catalog, ENGINES, groceryDoc, photoIngestPipeline, pipelinesDir, startSearchProxy, type SearchProxy } from '../../helpers/search-fixtures.js';

const INDEX = 'p31g-update-race';
const FIELD = 'vlrerank_features';

/** A gate the relay waits on for the first request matching `re`; `reached` when one is held. */
function holdFirst(re: RegExp) {
  let release!: () => void;
  let reachedNow!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  const reached = new Promise<void>((r) => (reachedNow = r));
  let held = false;
  const before = async (line: string) => {
    if (held || !re.test(line)) return;
    held = true;
    reachedNow();
    await gate;
  };
  return { before, release, reached };
}

describe.each(ENGINES)('an _update racing another write of the same document (%s)', (engine) => {
  const dir = pipelinesDir({ 'p31g-ur.yaml': photoIngestPipeline('p31g-ur', `${INDEX}*`) });
  let p: SearchProxy | undefined;
  let relay: CountingRelay | undefined;
  let gate = holdFirst(/^$/);
  const [a, c] = [groceryDoc(catalog[3]!), groceryDoc(catalog[40]!)];
  const send = (method: string, path: string, body: unknown) => fetch(`${p!.url}${path}`, { method, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

  /** Does the stored record describe the stored document's own photo and text? */
  async function recordMatches(id: string): Promise<{ image: boolean; text: boolean; source: Record<string, unknown>; version: number }> {
    const r = await p!.engine.json<any>('GET', `/${INDEX}/_doc/${id}?stored_fields=${FIELD}&_source=true`);
    const source = r.body._source as Record<string, unknown>;
    const d = documentFromSource(source, p!.pipelines.get('p31g-ur')!)!;
    const { record } = parseRecord(unpackRecord(r.body.fields?.[FIELD]?.[0] ?? r.body.fields?.[FIELD]));
    return { image: record?.image?.r === contentId(d.image!), text: record?.text?.h === contentId(documentText(d.text!)), source, version: r.body._version };
  }

  beforeAll(async () => {
    p = await startSearchProxy(engine, {
      pipelinesDir: dir,
      via: async (url) => (relay = await countingRelay(url, { before: (line) => gate.before(line) })).url,
    });
    await p.engine.json('DELETE', `/${INDEX}`);
    await setupIndex(p.engine, p.pipelines.get('p31g-ur')!, INDEX);
  }, 300_000);
  afterAll(async () => {
    await p?.engine.json('DELETE', `/${INDEX}`);
    await p?.close();
    await relay?.close();
  });

  it.each([
    ['d1', ''],
    ['d3', '&retry_on_conflict=2'], // the engines refuse it beside if_seq_no: vlrerank's condition drops it and retries itself
  ])('a title update held while another client replaces the photo: the record describes the final photo and title (%s%s)', { timeout: 600_000 }, async (id, more) => {
    expect((await send('PUT', `/${INDEX}/_doc/${id}?refresh=true`, a)).status).toBe(201);
    gate = holdFirst(new RegExp(`^POST /${INDEX}/_update/${id}`));
    const update = send('POST', `/${INDEX}/_update/${id}?refresh=true${more}`, { doc: { title: 'Renamed while racing' } });
    await gate.reached; // vlrerank read d1 (photo a) and computed the merged record; the update is held
    const other = await send('PUT', `/${INDEX}/_doc/${id}?refresh=true`, { ...a, image: c.image });
    expect(other.status).toBe(200);
    gate.release();
    const u = await update;
    expect(u.status).toBe(200);
    const answered = (await u.json()) as { _version: number; result: string };
    expect(answered.result).toBe('updated');
    const now = await recordMatches(id);
    expect(now.source.image).toBe(c.image); // the other client's photo stands
    expect(now.source.title).toBe('Renamed while racing'); // and the update's title
    expect(now.version).toBe(answered._version);
    expect({ image: now.image, text: now.text }).toEqual({ image: true, text: true });
  });

  it('the client’s own if_seq_no keeps its meaning: the engine’s 409, the other write’s record kept', { timeout: 600_000 }, async () => {
    const put = (await (await send('PUT', `/${INDEX}/_doc/d2?refresh=true`, a)).json()) as { _seq_no: number; _primary_term: number };
    gate = holdFirst(new RegExp(`^POST /${INDEX}/_update/d2`));
    const update = send('POST', `/${INDEX}/_update/d2?refresh=true&if_seq_no=${put._seq_no}&if_primary_term=${put._primary_term}`, { doc: { title: 'Renamed while racing' } });
    await gate.reached;
    expect((await send('PUT', `/${INDEX}/_doc/d2?refresh=true`, { ...a, image: c.image })).status).toBe(200);
    gate.release();
    const u = await update;
    expect(u.status).toBe(409);
    expect(((await u.json()) as any).error.type).toBe('version_conflict_engine_exception');
    const now = await recordMatches('d2');
    expect(now.source.title).toBe(a.title);
    expect({ image: now.image, text: now.text }).toEqual({ image: true, text: true });
  });
});
