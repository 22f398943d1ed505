/**
 * Held-out probe round 31g: an `_update` whose partial `doc` gets the record of the document it
 * makes (stored ⊕ partial) must describe the document the engine stores, when another write of the
 * same document lands between vlrerank's read of the stored document and its update. Before, the
 * update went unconditioned: the engine merged the partial onto the newer document (another photo)
 * and stored it with the record of the old one — the final document's record described another
 * write's photo. Now the update goes conditioned on the `_seq_no` read (a client that gave no
 * condition of its own) and a conflict that condition caused is read, computed and sent again.
 *
 * A `_bulk` update's action line has left before its document is computed: an update answered at
 * any version but the one read + 1 was raced, and its record is taken out before the client is
 * answered (raced-updates.ts) — no record rather than another document's.
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

describe.each(ENGINES)('a _bulk update racing another write of the same document (%s)', (engine) => {
  const dir = pipelinesDir({ 'p31g-ur.yaml': photoIngestPipeline('p31g-ur', `${INDEX}*`) });
  let p: SearchProxy | undefined;
  let relay: CountingRelay | undefined;
  let gate = holdFirst(/^$/);
  const IDX = `${INDEX}-bulk`;
  const [a, c] = [groceryDoc(catalog[3]!), groceryDoc(catalog[40]!)];
  beforeAll(async () => {
    p = await startSearchProxy(engine, { pipelinesDir: dir, via: async (url) => (relay = await countingRelay(url, { before: (line) => gate.before(line) })).url });
    await p.engine.json('DELETE', `/${IDX}`);
    await setupIndex(p.engine, p.pipelines.get('p31g-ur')!, IDX);
  }, 300_000);
  afterAll(async () => {
    await p?.engine.json('DELETE', `/${IDX}`);
    await p?.close();
    await relay?.close();
  });
  it('an update held while another client replaces the photo: its record is taken out (never the old photo’s), the item says why and names the version left', { timeout: 600_000 }, async () => {
    const send = (method: string, path: string, body: string, ct = 'application/json') => fetch(`${p!.url}${path}`, { method, headers: { 'content-type': ct }, body });
    expect((await send('PUT', `/${IDX}/_doc/b1?refresh=true`, JSON.stringify(a))).status).toBe(201);
    gate = holdFirst(/^POST \/_bulk/);
    const bulk = send('POST', '/_bulk?refresh=true', `${JSON.stringify({ update: { _index: IDX, _id: 'b1' } })}\n${JSON.stringify({ doc: { title: 'Renamed while racing' } })}\n`, 'application/x-ndjson');
    await gate.reached; // the _bulk's head is held; its document is read (below) and computed meanwhile
    while (!relay!.seen.some((l) => l.startsWith(`GET /${IDX}/_doc/b1`))) await new Promise((r) => setTimeout(r, 20));
    expect((await send('PUT', `/${IDX}/_doc/b1?refresh=true`, JSON.stringify({ ...a, image: c.image }))).status).toBe(200);
    gate.release();
    const b = (await (await bulk).json()) as any;
    const item = b.items[0].update;
    expect(item.status).toBe(200);
    expect(item.vlrerank?.note?.vlrerank_code).toBe('VLR_WRITE_RACED');
    const r = await p!.engine.json<any>('GET', `/${IDX}/_doc/b1?stored_fields=${FIELD}&_source=true`);
    expect(r.body._source.image).toBe(c.image);
    expect(r.body._source.title).toBe('Renamed while racing');
    expect(r.body._version).toBe(item._version); // the client's next if_seq_no write matches
    expect(r.body._seq_no).toBe(item._seq_no);
    expect(r.body.fields?.[FIELD]).toBeUndefined(); // no record rather than the old photo's
    // a search scores it from its photo and text as they are
    const s = (await (await send('POST', `/${IDX}/_search`, JSON.stringify({ size: 1, query: { ids: { values: ['b1'] } }, ext: { vlrerank: { query: { text: 'Renamed while racing' } } } }))).json()) as any;
    expect(s.hits.hits[0]._id).toBe('b1');
    expect(s.vlrerank?.degraded ?? false).toBe(false);
  });

  it('an update no other write raced keeps its record', { timeout: 600_000 }, async () => {
    const send = (method: string, path: string, body: string, ct = 'application/json') => fetch(`${p!.url}${path}`, { method, headers: { 'content-type': ct }, body });
    expect((await send('PUT', `/${IDX}/_doc/b2?refresh=true`, JSON.stringify(a))).status).toBe(201);
    const b = (await (await send('POST', '/_bulk?refresh=true', `${JSON.stringify({ update: { _index: IDX, _id: 'b2' } })}\n${JSON.stringify({ doc: { title: 'Renamed alone' } })}\n`, 'application/x-ndjson')).json()) as any;
    expect(b.items[0].update.vlrerank).toBeUndefined();
    expect(b.items[0].update._version).toBe(2);
    const r = await p!.engine.json<any>('GET', `/${IDX}/_doc/b2?stored_fields=${FIELD}&_source=true`);
    const d = documentFromSource(r.body._source, p!.pipelines.get('p31g-ur')!)!;
    const { record } = parseRecord(unpackRecord(r.body.fields?.[FIELD]?.[0] ?? r.body.fields?.[FIELD]));
    expect({ image: record?.image?.r === contentId(d.image!), text: record?.text?.h === contentId(documentText(d.text!)) }).toEqual({ image: true, text: true });
  });
});
