/**
 * ModelRegistry: the manifests plus the models directory. Resolves each manifest file to a path
 * (`<dir>/<id>/<path>`, or the file's mirror-relative path when the models dir *is* a mirror, as
 * in tests and CI with `../shared/models`), verifies size and sha256 (hashes cached per
 * path+size+mtime), and hands out one ModelSession per (model, role, precision).
 *
 * Missing or corrupt files are errors naming the file and the command that fixes it.
 */
import { createReadStream, existsSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import { join, resolve } from 'node:path';
import { vlrError } from '../errors.js';
import { silentLogger, type Logger } from '../observability/logger.js';
import { loadManifests, onnxFile, requiredFiles, type Manifest, type ManifestFile, type Precision } from './manifest.js';
import { usableCores } from '../config/cgroup.js';
import { ModelSession, type Device, type InferenceThread } from './session.js';
import { sharedInferencePool, type NativeSessionHost } from './session-worker.js';
import { setWorkNice } from '../util/work-nice.js';

export type FileStatus = 'ok' | 'ok-size-only' | 'missing' | 'size-mismatch' | 'sha256-mismatch' | 'unverifiable';

export interface FileCheck {
  modelId: string;
  file: ManifestFile;
  path: string;
  status: FileStatus;
  /** Human-readable detail: what was expected and found. */
  detail: string;
}

export interface RegistryOptions {
  /** The models directory (weights live in `<dir>/<id>/...`). */
  dir: string;
  /** Folder of manifests; default the repo's `models/`. */
  manifestDir?: string;
  manifests?: Map<string, Manifest>;
  device?: Device;
  intraOpThreads?: number;
  interOpThreads?: number;
  allowSpinning?: boolean;
  /** Default `worker` (see ModelSession). */
  inferenceThread?: InferenceThread;
  /** Nice value of the inference worker thread (see models.inferenceNice). */
  inferenceNice?: number;
  /** Inference workers the photo models' sessions are spread over (models.inferenceWorkers; 0: `defaultInferenceWorkers()`). */
  inferenceWorkers?: number;
  /** The pool to use instead of the process-wide one (tests). */
  pool?: NativeSessionHost;
  logger?: Logger;
}

/**
 * Model tasks whose sessions are spread over the inference pool: NanoDet, run once per photo at a
 * fixed batch of 1, gains little from a second intra-op thread (perf19: 1 thread ~24 ms, 2 threads
 * ~25 ms on a loaded 2-core host), so two photos side by side at 1 thread each nearly double it.
 * EfficientNet gains much more from its second thread (batch 4: ~9 against ~14 ms a photo) and
 * pooled it cost bench:features ~10 % and a lone photo ~30 %: it stays in the first worker, as the
 * text models do.
 */
const POOLED_TASKS: ReadonlySet<Manifest['task']> = new Set(['object-detector']);

/** `models.inferenceWorkers: 0`: one worker per usable core, at most 2 (each worker holds its own copy of the pooled models). */
export function defaultInferenceWorkers(cores = usableCores().cores): number {
  return Math.max(1, Math.min(2, cores));
}

const hashCache = new Map<string, { size: number; mtimeMs: number; sha256: string }>();

/** sha256 of a file, streamed; cached while size and mtime do not change. */
async function sha256File(path: string): Promise<string> {
  const st = await stat(path);
  const hit = hashCache.get(path);
  if (hit && hit.size === st.size && hit.mtimeMs === st.mtimeMs) return hit.sha256;
  const h = createHash('sha256');
  await new Promise<void>((res, rej) => {
    createReadStream(path)
      .on('data', (c) => h.update(c))
      .on('end', res)
      .on('error', rej);
  });
  const sha = h.digest('hex');
  hashCache.set(path, { size: st.size, mtimeMs: st.mtimeMs, sha256: sha });
  return sha;
}

/** Check one file on disk against its manifest entry. */
export async function checkFile(modelId: string, file: ManifestFile, path: string, hash = true): Promise<FileCheck> {
  const base = { modelId, file, path };
  let size: number;
  try {
    size = (await stat(path)).size;
  } catch {
    return { ...base, status: 'missing', detail: 'not on disk' };
  }
  if (file.size !== 'unknown' && size !== file.size) return { ...base, status: 'size-mismatch', detail: `size ${size} bytes, expected ${file.size}` };
  if (file.sha256 === 'unknown') {
    return file.size === 'unknown'
      ? { ...base, status: 'unverifiable', detail: `no sha256 or size published upstream; ${size} bytes present, not verified` }
      : { ...base, status: 'ok-size-only', detail: `size ${size} matches; no sha256 published upstream, verified by size only` };
  }
  if (!hash) return { ...base, status: 'ok', detail: 'size matches (sha256 not checked)' };
  const sha = await sha256File(path);
  if (sha !== file.sha256) return { ...base, status: 'sha256-mismatch', detail: `sha256 ${sha}, expected ${file.sha256}` };
  return { ...base, status: 'ok', detail: 'sha256 matches' };
}

export function isUsable(status: FileStatus): boolean {
  return status === 'ok' || status === 'ok-size-only' || status === 'unverifiable';
}

export class ModelRegistry {
  readonly dir: string;
  readonly options: RegistryOptions;
  readonly manifests: Map<string, Manifest>;
  readonly #sessions = new Map<string, ModelSession>();
  /** Files already verified by sha256 in this process. */
  readonly #verified = new Set<string>();

  private constructor(options: RegistryOptions, manifests: Map<string, Manifest>) {
    // the image worker, libvips' threads and ffmpeg children run at the inference thread's nice too
    if (options.inferenceNice !== undefined) setWorkNice(options.inferenceNice);
    this.options = options;
    this.dir = resolve(options.dir);
    this.manifests = manifests;
  }

  static async create(options: RegistryOptions): Promise<ModelRegistry> {
    return new ModelRegistry(options, options.manifests ?? (await loadManifests(options.manifestDir)));
  }

  get logger(): Logger {
    return this.options.logger ?? silentLogger;
  }

  list(): Manifest[] {
    return [...this.manifests.values()];
  }

  manifest(id: string): Manifest {
    const m = this.manifests.get(id);
    if (!m) throw vlrError('VLR_MODEL_NOT_FOUND', `no model manifest with id [${id}] (known: ${[...this.manifests.keys()].join(', ')})`);
    return m;
  }

  /** Where a file lives (or would live) in the models dir. */
  filePath(id: string, file: ManifestFile): string {
    const primary = join(this.dir, id, file.path);
    if (existsSync(primary)) return primary;
    // The models dir may itself be a mirror whose layout differs (mirror-relative path).
    if (file.sources.mirror) {
      const alt = join(this.dir, file.sources.mirror);
      if (existsSync(alt)) return alt;
    }
    return primary;
  }

  /** Path of the file with a role (`tokenizer`, `classes`, `onnx:model`...). */
  rolePath(id: string, role: string, precision?: Precision): string {
    const m = this.manifest(id);
    const f = role.startsWith('onnx:') ? onnxFile(m, role.slice(5), precision) : m.files.find((x) => x.role === role);
    if (!f) throw vlrError('VLR_MODEL_NOT_FOUND', `model ${id} has no file with role ${role}`);
    return this.filePath(id, f);
  }

  async readJson<T = unknown>(id: string, role: string): Promise<T> {
    const p = await this.ensureFile(id, this.fileByRole(id, role));
    return JSON.parse(await readFile(p, 'utf8')) as T;
  }

  async readText(id: string, role: string): Promise<string> {
    return readFile(await this.ensureFile(id, this.fileByRole(id, role)), 'utf8');
  }

  fileByRole(id: string, role: string): ManifestFile {
    const f = this.manifest(id).files.find((x) => x.role === role);
    if (!f) throw vlrError('VLR_MODEL_NOT_FOUND', `model ${id} has no file with role ${role}`);
    return f;
  }

  /** Check the files a model needs (or all its files) on disk. */
  async verify(id: string, opts: { precision?: Precision; all?: boolean; hash?: boolean } = {}): Promise<FileCheck[]> {
    const m = this.manifest(id);
    const files = opts.all ? m.files : requiredFiles(m, opts.precision);
    const out: FileCheck[] = [];
    for (const f of files) out.push(await checkFile(id, f, this.filePath(id, f), opts.hash ?? true));
    return out;
  }

  /** Throw the clear error for a missing/corrupt file, else return its path. Hash checked once per process. */
  async ensureFile(id: string, file: ManifestFile): Promise<string> {
    const path = this.filePath(id, file);
    if (this.#verified.has(path)) return path;
    const c = await checkFile(id, file, path, true);
    if (c.status === 'missing') throw vlrError('VLR_MODEL_MISSING', `model ${id}: file ${path} is missing; run: vlrerank models pull ${id}`, { details: { model: id, file: path } });
    if (!isUsable(c.status)) {
      throw vlrError('VLR_MODEL_CORRUPT', `model ${id}: file ${path} is corrupt (${c.detail}); run: vlrerank models pull ${id}`, { details: { model: id, file: path } });
    }
    this.#verified.add(path);
    return path;
  }

  /** The (lazy) session for a model's ONNX role, one per (id, role, precision). */
  session(id: string, role = 'model', precision?: Precision): ModelSession {
    const m = this.manifest(id);
    const f = onnxFile(m, role, precision);
    const key = `${id}/${role}/${f.precision ?? m.defaultPrecision}`;
    let s = this.#sessions.get(key);
    if (!s) {
      const o = this.options;
      const pool = (o.inferenceThread ?? 'worker') === 'worker' && POOLED_TASKS.has(m.task) ? this.#pool() : undefined;
      // a pooled session's copies share the cores: cores ÷ workers intra-op threads each (at least 1)
      const intraOpThreads = pool && pool.size > 1 ? Math.max(1, Math.floor((o.intraOpThreads || usableCores().cores) / pool.size)) : o.intraOpThreads;
      s = new ModelSession(this.filePath(id, f), {
        name: key,
        modelId: id,
        device: o.device,
        intraOpThreads,
        ...(pool ? { worker: pool } : {}),
        interOpThreads: o.interOpThreads,
        allowSpinning: o.allowSpinning,
        thread: o.inferenceThread,
        nice: o.inferenceNice,
        logger: o.logger,
        beforeLoad: async () => {
          await this.ensureFile(id, f);
        },
      });
      this.#sessions.set(key, s);
    }
    return s;
  }

  /** The inference pool the photo models' sessions are spread over. */
  #pool(): NativeSessionHost {
    return this.options.pool ?? sharedInferencePool(this.options.inferenceWorkers || defaultInferenceWorkers());
  }

  /** Sessions created so far for a model (loaded or not). */
  sessionsOf(id: string): ModelSession[] {
    return [...this.#sessions.entries()].filter(([k]) => k.startsWith(`${id}/`)).map(([, s]) => s);
  }

  async close(): Promise<void> {
    for (const s of this.#sessions.values()) await s.unload();
  }
}
