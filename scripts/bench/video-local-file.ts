/**
 * What sampling one local long video costs this process in memory and writes (held-out probe round
 * 22d: a local video was read whole into memory and copied to a private temporary file to be
 * sought; fix23v hands ffmpeg the vetted file). Builds a 2-hour video in a temporary folder from the
 * Intel clips (320×180, looped with stream copy: its index after its data), loads the models, warms
 * them on a 3 s clip, then samples the long video `--runs` times (16 frames at 1 fps, detection off)
 * and prints the growth of the bytes held in Buffers (sampled every 5 ms) and of the peak RSS, and the bytes this process wrote (/proc/self/io `wchar`:
 * the temporary copies; ffmpeg's own writes are its own) during those runs. The folder is removed.
 *   npx tsx scripts/bench/video-local-file.ts [--hours 2] [--runs 3]
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { mediaSchema, modelsSchema } from '../../src/config/schema.js';
import { FeatureExtractor } from '../../src/features/extractor.js';
import { Models } from '../../src/models/index.js';
import { DATA, MODELS } from '../../test/helpers/paths.js';

const argv = process.argv.slice(2);
const opt = (n: string, d: string) => (argv.includes(n) ? argv[argv.indexOf(n) + 1]! : d);
const seconds = Number(opt('--hours', '2')) * 3600;
const runs = Number(opt('--runs', '3'));
const clips = join(DATA, 'intel-sample-videos/clips');
const dir = mkdtempSync(join(tmpdir(), 'vlr-local-file-'));
const ff = (...args: string[]) => execFileSync('ffmpeg', ['-nostdin', '-v', 'error', '-y', ...args]);
const wchar = () => Number(/wchar: (\d+)/.exec(readFileSync('/proc/self/io', 'utf8'))![1]);
const maxRss = () => process.resourceUsage().maxRSS * 1024;
const mb = (b: number) => `${(b / 1e6).toFixed(1)} MB`;
try {
  const list = join(dir, 'list.txt');
  writeFileSync(list, readdirSync(clips).filter((f) => f.endsWith('.mp4')).sort().map((f) => `file '${join(clips, f)}'`).join('\n'));
  ff('-f', 'concat', '-safe', '0', '-i', list, '-vf', 'scale=320:180,fps=15', '-an', '-c:v', 'libx264', '-preset', 'veryfast', '-g', '60', join(dir, 'piece.mp4'));
  ff('-stream_loop', '-1', '-i', join(dir, 'piece.mp4'), '-t', String(seconds), '-c', 'copy', '-an', join(dir, 'long.mp4'));
  ff('-i', join(clips, 'bottle-detection.mp4'), '-c', 'copy', '-an', join(dir, 'warm.mp4'));
  const models = await Models.create(modelsSchema.parse({ dir: MODELS }));
  const fx = await FeatureExtractor.create(models, { media: mediaSchema.parse({ roots: [dir], maxVideoSeconds: seconds + 60, maxVideoBytes: 1 << 30 }), cacheMaxBytes: 64 << 20, ocrId: null });
  await fx.video('warm.mp4', { fps: 1, maxFrames: 16, detect: false });
  const rss0 = maxRss();
  const w0 = wchar();
  // the bytes held in Buffers (process.memoryUsage().arrayBuffers), sampled every 5 ms: a clip read whole shows here
  let peakBuffers = 0;
  const sampler = setInterval(() => (peakBuffers = Math.max(peakBuffers, process.memoryUsage().arrayBuffers)), 5);
  const buffers0 = process.memoryUsage().arrayBuffers;
  const t0 = performance.now();
  for (let i = 0; i < runs; i++) await fx.video('long.mp4', { fps: 1, maxFrames: 16 + i, detect: false }); // a new sampling each run: never a cache hit
  const ms = performance.now() - t0;
  clearInterval(sampler);
  console.log(`video ${mb(statSync(join(dir, 'long.mp4')).size)}, ${seconds} s; ${runs} runs of 16+ frames: peak Buffers +${mb(peakBuffers - buffers0)}, peak RSS +${mb(maxRss() - rss0)}, written ${mb(wchar() - w0)}, ${(ms / runs / 1000).toFixed(2)} s a run`);
  await fx.close();
  await models.close();
} finally {
  rmSync(dir, { recursive: true, force: true });
}
