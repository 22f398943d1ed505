import { describe, expect, it } from 'vitest';
import { mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadPipelines, parsePipeline, PipelineRegistry } from '../../../src/pipelines/index.js';
import { pipelinesFolderDigest } from '../../../src/pipelines/load.js';

const minimal = { index_patterns: ['products'], fields: { text: ['title'] } };

describe('pipeline validation', () => {
  it('loads the shipped pipelines', () => {
    const ps = loadPipelines('pipelines');
    expect(ps.map((p) => p.name).sort()).toEqual(['coco', 'grocery', 'knowledge-base', 'videos']);
    const reg = new PipelineRegistry(ps);
    expect(reg.forIndex('grocery')?.name).toBe('grocery');
    expect(reg.forIndex('scifact')?.default).toBe(true);
    expect(reg.get('grocery')?.vectors.image).toEqual({ field: 'image_vector', dims: 1280, similarity: 'cosine' });
    // q24: misspelt words reach the window on the pipelines where clean queries did not drop (models/CALIBRATION.md "Misspelt queries")
    for (const name of ['grocery', 'coco', 'videos']) expect(reg.get(name)?.first_stage.fuzzy, name).toEqual({ boost: 0.3, fuzziness: 'AUTO', prefix_length: 1, max_expansions: 50, correct: 'missing' });
  });

  it('fills defaults and names the pipeline after its file', () => {
    const p = parsePipeline(minimal, 'pipelines/products.yaml');
    expect(p.ingest).toEqual({}); // no OCR text field unless asked (feat23o)
    expect(parsePipeline({ ...minimal, fields: { text: ['title'], image: ['shot'] }, ingest: { ocr_text: 'shot_text' } }, 'p.yaml').ingest).toEqual({ ocr_text: 'shot_text' });
    expect(p.name).toBe('products');
    expect(p.failure).toBe('fail_open');
    expect(p.window).toEqual({ default: 50, max: 200 });
    expect(p.first_stage.fusion).toEqual({ method: 'none' });
    expect(p.scorer.fusion).toBe('logodds');
    expect(parsePipeline({ ...minimal, first_stage: { fusion: { method: 'blend', weight: 0.2 } } }, 'p.yaml').first_stage.fusion).toEqual({ method: 'blend', weight: 0.2, map: { saturation: 1 } });
    expect(p.first_stage.fuzzy).toBeUndefined(); // exact words only unless asked (q24)
    expect(parsePipeline({ ...minimal, first_stage: { fuzzy: true } }, 'p.yaml').first_stage.fuzzy).toEqual({ boost: 0.3, fuzziness: 'AUTO', prefix_length: 1, max_expansions: 50, correct: 'missing' });
    expect(parsePipeline({ ...minimal, first_stage: { fuzzy: { correct: false } } }, 'p.yaml').first_stage.fuzzy?.correct).toBe(false);
    expect(parsePipeline({ ...minimal, first_stage: { fuzzy: { boost: 0.5, fuzziness: 1 } } }, 'p.yaml').first_stage.fuzzy).toEqual({ boost: 0.5, fuzziness: 1, prefix_length: 1, max_expansions: 50, correct: 'missing' });
  });

  it.each([
    [{ ...minimal, window: { default: 100, max: 10 } }, 'p.yaml: window.max: window.max must be greater than or equal to window.default'],
    [{ ...minimal, failure: 'open' }, 'p.yaml: failure:'],
    [{ ...minimal, windw: 3 }, 'p.yaml: (top level): unknown key(s) "windw"'],
    [{ index_patterns: ['x'], fields: {} }, 'p.yaml: fields: at least one text, image or video field'],
    [{ ...minimal, fields: { text: ['a..b'] } }, 'p.yaml: fields.text.0: must not have empty path segments'],
    [{ ...minimal, first_stage: { fusion: { method: 'rrf', k: 0 } } }, 'p.yaml: first_stage.fusion.k:'],
    [{ ...minimal, first_stage: { fusion: { method: 'weight', weight: 2 } } }, 'p.yaml: first_stage.fusion.weight:'],
    [{ ...minimal, first_stage: { fusion: { method: 'blend', weight: 0.2, map: { saturation: 0 } } } }, 'p.yaml: first_stage.fusion.map'],
    [{ ...minimal, first_stage: { fusion: { method: 'blend', weight: 0.2, map: { logistic: { a: 1 } } } } }, 'p.yaml: first_stage.fusion.map'],
    [{ ...minimal, scorer: { fusion: 'raw' } }, 'p.yaml: scorer.raw_logistic: scorer.fusion "raw" needs scorer.raw_logistic {a, b}'],
    [{ ...minimal, scorer: { fusion: 'cosine' } }, 'p.yaml: scorer.fusion:'],
    [{ ...minimal, first_stage: { text_query: 'knn' } }, 'p.yaml: first_stage.text_query: text_query "knn" needs vectors.bridge'],
    [{ ...minimal, vectors: { ingest: true } }, 'p.yaml: vectors.ingest: vectors.ingest needs vectors.image or vectors.bridge'],
    [{ ...minimal, vectors: { image: { field: 'v', dims: -1 } } }, 'p.yaml: vectors.image.dims:'],
    [{ ...minimal, index_patterns: [] }, 'p.yaml: index_patterns:'],
    [{ ...minimal, name: 'Bad Name' }, 'p.yaml: name: must be lowercase'],
    // feat23o: the OCR text comes from the image's feature record
    [{ ...minimal, ingest: { ocr_text: 'shot_text' } }, 'p.yaml: ingest.ocr_text: ingest.ocr_text needs at least one fields.image'],
    [{ ...minimal, fields: { text: ['title'], image: ['shot'] }, features: { store: 'none' }, ingest: { ocr_text: 'shot_text' } }, 'p.yaml: ingest.ocr_text: ingest.ocr_text needs features.store: index'],
    [{ ...minimal, fields: { text: ['title'], image: ['shot'] }, scorer: { weights: { ocr_text: 0 } }, ingest: { ocr_text: 'shot_text' } }, 'p.yaml: ingest.ocr_text: ingest.ocr_text needs OCR'],
    [{ ...minimal, fields: { text: ['title'], image: ['shot'] }, ingest: { ocr_text: 'title' } }, "p.yaml: ingest.ocr_text: ingest.ocr_text [title] is already one of the pipeline's fields"],
    [{ ...minimal, ingest: { ocr: 'x' } }, 'p.yaml: ingest: unknown key(s) "ocr"'],
    // q24: a fuzzy clause above the exact one would rank a misspelling over the word itself
    [{ ...minimal, first_stage: { fuzzy: { boost: 1.5 } } }, 'p.yaml: first_stage.fuzzy.boost:'],
    [{ ...minimal, first_stage: { fuzzy: { fuzziness: 3 } } }, 'p.yaml: first_stage.fuzzy.fuzziness:'],
    [{ ...minimal, first_stage: { fuzzy: { prefix_length: -1 } } }, 'p.yaml: first_stage.fuzzy.prefix_length:'],
    // q25: the query the reranker reads is corrected by `missing` or `popular` suggestions, or read as typed
    [{ ...minimal, first_stage: { fuzzy: { correct: 'always' } } }, 'p.yaml: first_stage.fuzzy.correct:'],
    [{ ...minimal, first_stage: { fuzzy: { fuzzines: 'AUTO' } } }, 'p.yaml: first_stage.fuzzy: unknown key(s) "fuzzines"'],
    // held-out probe round 30b: entries no index, alias or data stream can match were kept and matched nothing
    [{ ...minimal, index_patterns: ['logs-*', '-logs-debug*'] }, 'p.yaml: index_patterns.1: "-logs-debug*" is an exclusion, and index_patterns only include'],
    [{ ...minimal, index_patterns: ['other:-logs*'] }, 'p.yaml: index_patterns.0: "other:-logs*" is an exclusion'],
    [{ ...minimal, index_patterns: ['_all'] }, 'p.yaml: index_patterns.0: "_all" names no index here: write "*"'],
    [{ ...minimal, index_patterns: ['+logs'] }, 'p.yaml: index_patterns.0: "+logs" can name no index or alias'],
    [{ ...minimal, index_patterns: ['logs-?'] }, 'p.yaml: index_patterns.0: "logs-?" can name no index or alias (the engines refuse names holding "?"'],
    [{ ...minimal, index_patterns: ['<logs-{now/d}>'] }, 'p.yaml: index_patterns.0: "<logs-{now/d}>" is a date math name'],
    [{ ...minimal, index_patterns: ['..'] }, 'p.yaml: index_patterns.0: ".." can name no index or alias'],
    [{ ...minimal, index_patterns: ['x'.repeat(256)] }, 'is longer than an index name can be (255 bytes)'],
    [{ ...minimal, first_stage: { match_fields: ['title^2', 'title^x'] } }, 'p.yaml: first_stage.match_fields.1: "title^x": a boost is a number of at least 0 after "^"'],
    [{ ...minimal, first_stage: { match_fields: ['title^-1'] } }, 'p.yaml: first_stage.match_fields.0: "title^-1": a boost'],
    [{ ...minimal, first_stage: { match_fields: ['title^2^3'] } }, 'p.yaml: first_stage.match_fields.0: "title^2^3": a boost'],
    [{ ...minimal, first_stage: { match_fields: ['title^1e40'] } }, 'p.yaml: first_stage.match_fields.0: "title^1e40": a boost'],
    [{ ...minimal, first_stage: { match_fields: ['title ^2'] } }, 'p.yaml: first_stage.match_fields.0: "title ^2": the field name is empty or has spaces at an end'],
    [{ ...minimal, 'default ': true }, 'p.yaml: (top level): unknown key(s) "default " (spaces at an end)'],
    [{ ...minimal, dеfault: true }, 'p.yaml: (top level): unknown key(s) "dеfault" (not ASCII: U+0435)'],
  ])('refuses %j naming file, key and rule', (doc, msg) => {
    expect(() => parsePipeline(doc, 'p.yaml')).toThrow(msg);
  });

  it('reports YAML errors and duplicate names per file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'vlr-pipes-'));
    writeFileSync(join(dir, 'a.yaml'), 'name: same\nindex_patterns: [a]\nfields: {text: [t]}\n');
    writeFileSync(join(dir, 'b.yaml'), 'name: same\nindex_patterns: [b]\nfields: {text: [t]}\n');
    expect(() => loadPipelines(dir)).toThrow(/b\.yaml: name: pipeline "same" is already defined in .*a\.yaml/);
    writeFileSync(join(dir, 'b.yaml'), 'name: [unclosed\n');
    expect(() => loadPipelines(dir)).toThrow(/b\.yaml: \(top level\): not valid YAML/);
  });

  it('takes the multi_match fields the engine takes', () => {
    const fields = ['title', 'title^2', 'title^0.5', 'title^.5', 'title^1e3', 'title^0', 'tit*^2', 'nom du produit^2'];
    expect(parsePipeline({ ...minimal, first_stage: { match_fields: fields } }, 'p.yaml').first_stage.match_fields).toEqual(fields);
  });

  it('takes the patterns an index, alias, data stream or remote cluster can have', () => {
    for (const pattern of ['*', 'logs-*', '.hidden-*', 'Alias-Upper', 'other:logs-*', '*:logs-*', 'a#b', 'x'.repeat(255)]) {
      expect(parsePipeline({ ...minimal, index_patterns: [pattern] }, 'p.yaml').index_patterns).toEqual([pattern]);
    }
  });

  it("reads no hidden file: an editor's lock or a Mac's ._ file beside the pipelines changes neither the set nor the watch's digest (round 30b)", () => {
    const dir = mkdtempSync(join(tmpdir(), 'vlr-pipes-'));
    writeFileSync(join(dir, 'a.yaml'), 'name: a\nindex_patterns: [a]\nfields: {text: [t]}\n');
    const digest = pipelinesFolderDigest(dir);
    symlinkSync('root@host.1:1', join(dir, '.#a.yaml'));
    writeFileSync(join(dir, '._a.yaml'), Buffer.from([0, 5, 0x16, 7, 0, 2]));
    writeFileSync(join(dir, '.a.yaml'), 'name: a\nindex_patterns: [b]\nfields: {text: [t]}\n');
    expect(loadPipelines(dir).map((p) => p.index_patterns)).toEqual([['a']]);
    expect(pipelinesFolderDigest(dir)).toBe(digest);
  });

  it.each([
    ['', 'holds no pipeline (the file is empty, or only comments)'],
    ['# to do\n', 'holds no pipeline (the file is empty, or only comments)'],
    ['%YAML 1.1\n---\nindex_patterns: [a]\nfields: {text: [t]}\nbudget_ms: 1:30\n', '"%YAML 1.1": pipeline files are read as YAML 1.2'],
    ['index_patterns: [a]\nfields: {text: [t]}\nbudget_ms: !env BUDGET\n', 'not valid YAML: Unresolved tag: !env at line 3'],
    ['index_patterns: [a]\nfields: {text: [t]}\n---\nindex_patterns: [b]\nfields: {text: [t]}\n', 'holds 2 YAML documents (the second at line 3)'],
    ['<<: {default: true}\nindex_patterns: [a]\nfields: {text: [t]}\n', '(top level): "<<" is a YAML 1.1 merge key, not read'],
    [Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('index_patterns: [a]\n', 'utf16le')]), '(file): the file is UTF-16'],
  ])('refuses the file %j naming why (round 30b)', (text, msg) => {
    const dir = mkdtempSync(join(tmpdir(), 'vlr-pipes-'));
    writeFileSync(join(dir, 'a.yaml'), text);
    expect(() => loadPipelines(dir)).toThrow(msg);
  });

  it('names the line of each key a file gets wrong, as the config file does (round 30b)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'vlr-pipes-'));
    writeFileSync(join(dir, 'a.yaml'), '# a pipeline\nname: a\nindex_patterns: [ok-*, -no*]\nfields: {text: [t]}\ndefault: yes\nscorer:\n  weights: {text_text: 1}\n  wieghts: {}\n');
    const msg = (() => {
      try {
        loadPipelines(dir);
      } catch (e) {
        return (e as Error).message;
      }
      return '';
    })();
    expect(msg).toContain('index_patterns.1: "-no*" is an exclusion');
    expect(msg).toMatch(/index_patterns\.1: [^;]* \(line 3\)/);
    expect(msg).toContain('default: Invalid input: expected boolean, received string (line 5)');
    expect(msg).toContain('scorer: unknown key(s) "wieghts" (line 8)');
  });

  it('reads a file framed by --- and ... as its one pipeline, a BOM and CRLF as well', () => {
    const dir = mkdtempSync(join(tmpdir(), 'vlr-pipes-'));
    writeFileSync(join(dir, 'a.yaml'), '\uFEFF---\r\nindex_patterns: [a]\r\nfields: {text: [t]}\r\n---\r\n');
    expect(loadPipelines(dir).map((p) => p.index_patterns)).toEqual([['a']]);
  });

  it('matches index expressions to one pipeline', () => {
    const reg = new PipelineRegistry([parsePipeline({ ...minimal, index_patterns: ['shop-*', 'products'] }, 'shop.yaml'), parsePipeline({ ...minimal, index_patterns: ['kb'] }, 'kb.yaml')]);
    expect(reg.forIndex('shop-2024')?.name).toBe('shop');
    expect(reg.forIndex('shop-1,products')?.name).toBe('shop');
    expect(reg.forIndex('shop-*')?.name).toBe('shop');
    expect(reg.forIndex('shop-1,kb')).toBeUndefined();
    expect(reg.forIndex('other')).toBeUndefined();
    expect(reg.defaultFor('kb')).toBeUndefined();
  });
});
