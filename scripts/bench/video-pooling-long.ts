/**
 * Issue 14 §6 on long videos (held-out probe round 22d): does the frame pooling find a long video
 * whose one relevant minute is all that sets it apart? Built with ffmpeg in a temporary folder from
 * the public Intel clips (removed after): one long video per scene clip (`clips/*.mp4`, 15), each
 * `--minutes` long (default 9: the library's `process()` keeps media.maxVideoSeconds at 600), its filler the 20 ASL gesture clips looped in an order of its own
 * (a person signing, as a lecture or a training video), and 60 s of its scene looped at a position of
 * its own (5 %…90 % of the video). Queries: each scene's label as text, and the scene's short clip
 * as a query video; the relevant document is the long video holding that minute (video only, no
 * title). Frames as pipelines/videos.yaml samples them (1 fps, at most `--max-frames`, default 16;
 * also 64) and each pooling (mean, max, top3). Prints top-1 and MRR per sampling × pooling × query kind,
 * and how many of each video's sampled frames fall in its relevant minute.
 *   npx tsx scripts/bench/video-pooling-long.ts [--minutes 9] [--frames 16,64]
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { Reranker } from '../../src/rerank/reranker.js';
import type { FramePooling } from '../../src/rerank/signals/frame-pooling.js';
import { frameTimes } from '../../src/features/media/video-frames.js';
import { DATA, MODELS } from '../../test/helpers/paths.js';

const argv = process.argv.slice(2);
const opt = (n: string, d: string) => (argv.includes(n) ? argv[argv.indexOf(n) + 1]! : d);
const minutes = Number(opt('--minutes', '9'));
const frameCaps = opt('--frames', '16,64').split(',').map(Number);
const src = join(DATA, 'intel-sample-videos');
const scenes = readdirSync(join(src, 'clips')).filter((f) => f.endsWith('.mp4')).sort();
const signs = readdirSync(join(src, 'asl_gestures')).filter((f) => f.endsWith('.mkv')).sort();
const dir = mkdtempSync(join(tmpdir(), 'vlr-pooling-long-'));
const ff = (...args: string[]) => execFileSync('ffmpeg', ['-nostdin', '-v', 'error', '-y', ...args]);
const norm = (input: string, out: string) =>
  ff('-i', input, '-an', '-vf', 'scale=320:180:force_original_aspect_ratio=decrease,pad=320:180:(ow-iw)/2:(oh-ih)/2,fps=10,format=yuv420p', '-c:v', 'libx264', '-preset', 'ultrafast', '-crf', '30', '-g', '20', out);
const concat = (parts: string[], out: string, seconds?: number) => {
  const list = `${out}.txt`;
  writeFileSync(list, parts.map((p) => `file '${p}'`).join('\n'));
  ff('-f', 'concat', '-safe', '0', '-i', list, '-c', 'copy', ...(seconds ? ['-t', String(seconds)] : []), out);
};
const duration = (f: string) => Number(execFileSync('ffprobe', ['-v', 'error', '-show_entries', 'format=duration', '-of', 'csv=p=0', f]).toString());
try {
  const signFiles = signs.map((s, i) => (norm(join(src, 'asl_gestures', s), join(dir, `s${i}.mp4`)), join(dir, `s${i}.mp4`)));
  const signSeconds = signFiles.reduce((a, f) => a + duration(f), 0);
  const total = minutes * 60;
  const docs: Array<{ video: string; label: string; from: number }> = [];
  scenes.forEach((scene, i) => {
    const clip = join(dir, `c${i}.mp4`);
    norm(join(src, 'clips', scene), clip);
    const minute = join(dir, `m${i}.mp4`);
    concat(Array.from({ length: Math.ceil(60 / duration(clip)) + 1 }, () => clip), minute, 60);
    // filler: the signs in an order of this video's own, looped to the length needed
    const order = signFiles.map((f, j) => signFiles[(j * 7 + i * 3) % signFiles.length]!);
    const loops = Math.ceil(total / signSeconds) + 1;
    const filler = join(dir, `f${i}.mp4`);
    concat(Array.from({ length: loops }, () => order).flat(), filler, total - 60);
    const from = Math.round((0.05 + (0.85 * i) / (scenes.length - 1)) * (total - 60));
    const head = join(dir, `h${i}.mp4`);
    const tail = join(dir, `t${i}.mp4`);
    ff('-i', filler, '-t', String(from), '-c', 'copy', head);
    ff('-ss', String(from), '-i', filler, '-c', 'copy', tail);
    const long = join(dir, `long${i}.mp4`);
    concat([head, minute, tail], long);
    const at = duration(head);
    docs.push({ video: long, label: basename(scene, '.mp4').replace(/-/g, ' '), from: at });
  });
  console.log(`${docs.length} long videos of ${minutes} min, each with one relevant minute (filler: ${signs.length} ASL clips looped)`);
  const base = new Reranker({ modelsDir: MODELS, device: 'cpu', mediaRoots: [dir] });
  const ports = await base.ports();
  for (const maxFrames of frameCaps) {
    const items = docs.map((d) => ({ video: d.video, fps: 1, max_frames: maxFrames }));
    const { records, errors } = await base.records(items);
    if (errors.length) console.log(`unreadable: ${errors.map((e) => e.reason).join('; ')}`);
    const inMinute = docs.map((d) => frameTimes(duration(d.video), 1, maxFrames).filter((t) => t >= d.from && t < d.from + 60).length);
    console.log(`max_frames ${maxFrames}: sampled frames inside the relevant minute per video ${JSON.stringify(inMinute)}`);
    for (const pooling of ['mean', 'max', 'top3'] as FramePooling[]) {
      const r = new Reranker({ ports, framePooling: pooling });
      for (const kind of ['text', 'clip'] as const) {
        let top1 = 0;
        let mrr = 0;
        for (const [i, d] of docs.entries()) {
          const query = kind === 'text' ? d.label : { video: join(dir, `c${i}.mp4`) };
          const out = await r.process({ query, documents: items }, { records });
          const rank = out.findIndex((x) => x.index === i);
          top1 += rank === 0 ? 1 : 0;
          mrr += rank < 10 ? 1 / (rank + 1) : 0;
        }
        console.log(`  ${pooling.padEnd(4)} ${kind.padEnd(4)} top-1 ${(top1 / docs.length).toFixed(3)} MRR@10 ${(mrr / docs.length).toFixed(3)}`);
      }
    }
  }
  await base.close();
} finally {
  rmSync(dir, { recursive: true, force: true });
}
