/**
 * `GET /_vlrerank/ui/samples.json` as a plain handler: example inputs for the demo UI found in the
 * media roots (skimage pairs, Grocery in-store photos, Intel clips — the ../shared/data layout).
 * Reads only the listing files of those data sets; a missing one just yields no samples.
 */
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';

export interface Samples {
  skimage: Array<{ name: string; description: string; image: string }>;
  groceryQueries: Array<{ image: string; class_name: string }>;
  videos: Array<{ video: string; label: string }>;
}

/** Example inputs from the demo data sets that sit in a media root (../shared/data layout). */
export async function findSamples(roots: readonly string[]): Promise<Samples> {
  const out: Samples = { skimage: [], groceryQueries: [], videos: [] };
  const lines = async (p: string) => (await readFile(p, 'utf8').catch(() => '')).split('\n').filter(Boolean);
  for (const r of roots.map((x) => resolve(x))) {
    for (const base of [r, join(r, '..')]) {
      const sk = join(base, 'skimage-clip-smoke');
      if (!out.skimage.length)
        for (const l of await lines(join(sk, 'descriptions.jsonl'))) {
          const d = JSON.parse(l) as { image: string; name: string; description: string };
          out.skimage.push({ name: d.name, description: d.description, image: join(sk, d.image) });
        }
      const gr = join(base, 'grocery-store-products');
      if (!out.groceryQueries.length) {
        const seen = new Set<string>();
        for (const l of (await lines(join(gr, 'queries.tsv'))).slice(1)) {
          const [image, , className] = l.split('\t');
          // one photo for every 8th product: a varied handful (apples, juices, milk, vegetables…)
          if (!image || !className || seen.has(className)) continue;
          seen.add(className);
          if (seen.size % 8 === 1) out.groceryQueries.push({ image: join(gr, image), class_name: className });
        }
      }
      const iv = join(base, 'intel-sample-videos');
      if (!out.videos.length)
        for (const l of await lines(join(iv, 'videos.jsonl'))) {
          const v = JSON.parse(l) as { file: string; label: string; kind: string };
          if (v.kind !== 'asl_gesture') out.videos.push({ video: join(iv, v.file), label: v.label });
        }
    }
  }
  return out;
}
