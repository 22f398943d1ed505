/**
 * Embeddings of the classifier's concept labels (ImageNet's 1,000 classes) in the text embedder's
 * space, for the ConSE bridge. Computed once per (classifier labels, text embedder) pair, then kept
 * in memory and on disk under the cache dir (`concepts-<key>.f32`), so a restart reads 1.5 MB
 * instead of running 1,000 passages through bge (~5 s on 2 cores).
 *
 * The key hashes the label texts and the embedder's identity: another model or another prompt gets
 * another file. A corrupt or short file is ignored and rebuilt, never trusted.
 */
import { createHash } from 'node:crypto';
import { readFile, rename, writeFile } from 'node:fs/promises';
import { mkdirp } from '../../util/mkdirp.js';
import { join } from 'node:path';
import { conceptText } from './conse-bridge.js';

export interface PassageEmbedder {
  /** Stable identity of the model (name + file digest or size), part of the cache key. */
  readonly id: string;
  embedPassages(texts: string[]): Promise<Float32Array[]>;
}

export interface ConceptBank {
  key: string;
  classNames: string[];
  vectors: Float32Array[];
  /** Where it came from this time. */
  source: 'memory' | 'disk' | 'computed';
}

const memory = new Map<string, Promise<ConceptBank>>();

export function conceptBankKey(classNames: string[], embedderId: string): string {
  const h = createHash('sha256');
  h.update(`conse-v1\n${embedderId}\n`);
  for (const c of classNames) h.update(`${conceptText(c)}\n`);
  return h.digest('hex').slice(0, 24);
}

async function readBank(file: string, n: number): Promise<Float32Array[] | undefined> {
  try {
    const buf = await readFile(file);
    if (buf.byteLength === 0 || buf.byteLength % (4 * n) !== 0) return undefined;
    const dim = buf.byteLength / 4 / n;
    const all = new Float32Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength));
    const out: Float32Array[] = [];
    for (let i = 0; i < n; i++) out.push(all.slice(i * dim, (i + 1) * dim));
    if (out.some((v) => v.some((x) => !Number.isFinite(x)))) return undefined;
    return out;
  } catch {
    return undefined;
  }
}

/**
 * The concept bank for these labels and this embedder: from memory, else from `cacheDir`, else
 * computed in batches of `batchSize` and written there (best effort: a read-only dir only costs time).
 */
export function loadConceptBank(
  classNames: string[],
  embedder: PassageEmbedder,
  options: { cacheDir?: string; batchSize?: number } = {},
): Promise<ConceptBank> {
  const key = conceptBankKey(classNames, embedder.id);
  const hit = memory.get(key);
  if (hit) return hit.then((b) => ({ ...b, source: 'memory' as const }));
  const p = (async (): Promise<ConceptBank> => {
    const file = options.cacheDir ? join(options.cacheDir, `concepts-${key}.f32`) : undefined;
    if (file) {
      const vectors = await readBank(file, classNames.length);
      if (vectors) return { key, classNames, vectors, source: 'disk' };
    }
    const texts = classNames.map(conceptText);
    const vectors: Float32Array[] = [];
    const bs = options.batchSize ?? 32;
    for (let i = 0; i < texts.length; i += bs) vectors.push(...(await embedder.embedPassages(texts.slice(i, i + bs))));
    if (file) {
      try {
        await mkdirp(options.cacheDir!);
        const flat = new Float32Array(vectors.length * vectors[0]!.length);
        vectors.forEach((v, i) => flat.set(v, i * v.length));
        const tmp = `${file}.${process.pid}.tmp`;
        await writeFile(tmp, Buffer.from(flat.buffer));
        await rename(tmp, file);
      } catch {
        // best effort: the bank is in memory either way
      }
    }
    return { key, classNames, vectors, source: 'computed' };
  })();
  memory.set(key, p);
  p.catch(() => memory.delete(key));
  return p;
}
