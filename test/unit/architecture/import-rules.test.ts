/**
 * The house import rules (ARCHITECTURE.md, .dependency-cruiser.cjs, scripts/import-rules.ts).
 *
 * First the checker itself, on test/fixtures/import-rules: a miniature src/ wired as the plan
 * allows plus one deliberate violation per rule. Each rule must report exactly its violation, so a
 * rule cannot silently become a no-op (a typo in a path, a room renamed in src/ but not in the rules).
 * Then the real src/: no violation. For a human: `npm run lint:imports`.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  EXTRA_RULES,
  REPO_ROOT,
  checkImportRules,
  configuredRooms,
  findProcessEnvReads,
  formatViolations,
  roomMismatches,
  type ImportRulesReport,
} from '../../../scripts/import-rules.js';

const FIXTURE = join(REPO_ROOT, 'test/fixtures/import-rules');

/** rule: from → to, one line per deliberate violation of the fixture (sorted as the checker sorts). */
const EXPECTED = [
  // main.ts's import() and type-only import load nothing at start: only the static one is reported
  'cli-start-loads-no-command-code: src/cli/cli-start-loads-no-command-code.ts → src/rerank/reranker.ts',
  'engine-below-the-areas: src/engine/engine-below-the-areas.ts → src/ingest/bulk.ts',
  // a type-only import: counts
  'errors-is-a-leaf: src/errors.ts → src/observability/log.ts',
  'eval-measures-through-the-front-door: src/eval/eval-measures-through-the-front-door.ts → src/search/handler.ts',
  // a type-only import of a package: counts
  'express-only-in-http: src/api/express-only-in-http.ts → express (package)',
  'foundation-imports-no-area: src/pipelines/foundation-imports-no-area.ts → src/ui/serve.ts',
  'http-only-from-server-and-cli: src/api/http-only-from-server-and-cli.ts → src/http/app.ts',
  // a type-only import: counts
  'library-knows-no-http-or-engines: src/features/library-knows-no-http-or-engines.ts → src/engine/dialect.ts',
  'library-layers-point-down: src/features/library-layers-point-down.ts → src/rerank/reranker.ts',
  'no-module-cycle: src/observability/no-module-cycle-a.ts → src/observability/no-module-cycle-b.ts',
  // both edges of the config/ ↔ pipelines/ room cycle (no module cycle between them)
  'no-room-cycle: src/config/no-room-cycle.ts → src/pipelines/registry.ts',
  'no-room-cycle: src/pipelines/registry.ts → src/config/schema.ts',
  'no-unresolvable-import: src/search/no-unresolvable-import.ts → ./does-not-exist.js',
  'process-env-only-in-config-and-cli: src/rerank/process-env-only-in-config-and-cli.ts:2 → process.env',
  'proxy-knows-only-bytes: src/proxy/proxy-knows-only-bytes.ts → src/models/session.ts',
  'rooms-match-the-plan: src/misc/ → not a room',
  'search-and-ingest-apart: src/search/search-and-ingest-apart.ts → src/ingest/bulk.ts',
  // a type-only import: counts
  'server-only-from-cli: src/api/server-only-from-cli.ts → src/server/services.ts',
  'ui-app-imports-no-node-builtin: src/ui/app/ui-app-imports-no-node-builtin.ts → node:path',
  'ui-app-imports-no-server-room: src/ui/app/ui-app-imports-no-server-room.ts → src/ui/serve.ts',
  'util-has-no-home: src/util/util-has-no-home.ts → src/config/schema.ts',
];

const line = (v: { rule: string; from: string; to: string }): string => `${v.rule}: ${v.from} → ${v.to}`;

describe('import-rules checker, on a fixture with one deliberate violation per rule', () => {
  let report: ImportRulesReport;
  beforeAll(async () => {
    report = await checkImportRules(FIXTURE);
  });

  it('reports exactly the deliberate violations, and nothing on the allowed wiring', () => {
    expect(report.violations.map(line)).toEqual(EXPECTED);
  });

  it('exercises every rule: each one checked is broken once in the fixture', () => {
    const rules = Object.keys(report.comments).sort();
    expect(rules.length).toBeGreaterThanOrEqual(18);
    expect([...new Set(report.violations.map((v) => v.rule))].sort()).toEqual(rules);
    for (const rule of Object.keys(EXTRA_RULES)) expect(rules).toContain(rule);
  });

  it('gives every rule a reason, printed with its violations', () => {
    for (const [rule, comment] of Object.entries(report.comments)) expect(comment.length, rule).toBeGreaterThan(20);
    const text = formatViolations(report);
    expect(text).toContain('proxy-knows-only-bytes (1): proxy/ is bytes only');
    expect(text).toContain('  src/proxy/proxy-knows-only-bytes.ts → src/models/session.ts');
  });

  it('names the chain of static imports that loads a command\'s code at the CLI\'s start', () => {
    const v = report.violations.find((x) => x.rule === 'cli-start-loads-no-command-code');
    expect(v?.detail).toBe('loaded at start: src/cli/main.ts → src/cli/cli-start-loads-no-command-code.ts → src/rerank/reranker.ts');
  });

  it('saw the whole fixture (the cruise resolved NodeNext .js imports to .ts files)', () => {
    expect(report.modules).toBeGreaterThanOrEqual(35);
  });
});

describe('process.env reads', () => {
  it.each([
    ['const a = process.env.A;', 1],
    ["const a = process['env'].A;", 1],
    ['const a = globalThis.process.env.A;', 1],
    ['const { env } = process;', 1],
    ['const { env: e } = process;', 1],
    ["import { env } from 'node:process';", 1],
    ['process.env.A = "x";', 1],
    ['// process.env.A in a comment', 0],
    ['const s = "process.env.A";', 0],
    ['const a = config.env.A;', 0],
    ['const { argv } = process;', 0],
  ])('%s → %i', (text, count) => {
    expect(findProcessEnvReads(text)).toHaveLength(count);
  });
});

describe('rooms-match-the-plan', () => {
  const root = mkdtempSync(join(tmpdir(), 'import-rules-'));
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('names a room of the rules missing from src/, and a folder of src/ the rules do not name', () => {
    const rooms = configuredRooms();
    for (const r of rooms.filter((r) => r !== 'util')) mkdirSync(join(root, 'src', r), { recursive: true });
    mkdirSync(join(root, 'src', 'misc'));
    writeFileSync(join(root, 'src', 'errors.ts'), 'export {};\n');
    expect(roomMismatches(root).map(line)).toEqual([
      'rooms-match-the-plan: src/util/ → missing',
      'rooms-match-the-plan: src/misc/ → not a room',
    ]);
  });
});

describe('src/ follows the house import rules (ARCHITECTURE.md)', () => {
  it('has no violation (npm run lint:imports lists them)', async () => {
    const report = await checkImportRules();
    expect(report.modules, 'the cruise saw src/').toBeGreaterThan(50);
    if (report.violations.length > 0) {
      throw new Error(`src/ breaks the house import rules:\n${formatViolations(report)}`);
    }
  });
});
