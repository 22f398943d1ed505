/**
 * The arithmetic of sampling a video, apart from running ffmpeg (video.ts): which frame times to
 * take (`fps` capped by `maxFrames`, spread over the whole duration), the size they are scaled to,
 * the `select` filter that picks them, the rotation a stream's metadata asks for, and whether the
 * bytes need a seekable input. Pure functions: no processes, no files.
 */

/**
 * Frame times for a video of `duration` seconds: one per 1/fps interval, at the middle of the
 * interval (the first frame of many clips is black or a fade-in), n = max(1, floor(duration·fps)).
 * When n would exceed maxFrames, maxFrames times spread uniformly over the whole duration instead
 * (Qwen3-VL: linspace over the video rather than a truncated prefix).
 */
export function frameTimes(duration: number, fps: number, maxFrames: number): number[] {
  return frameSchedule(duration, fps, maxFrames).times;
}

/** frameTimes plus the spacing used: t_k = (k + ½)·period. */
export function frameSchedule(duration: number, fps: number, maxFrames: number): { times: number[]; period: number } {
  const n = Math.max(1, Math.floor(duration * fps + 1e-9));
  const count = Math.min(n, maxFrames);
  // 1/fps while the cap is not hit; duration/count when it is, or when the video is shorter than 1/fps.
  const period = count < n ? duration / count : Math.min(1 / fps, duration / count);
  return { times: Array.from({ length: count }, (_, i) => round6((i + 0.5) * period)), period };
}

const round6 = (x: number) => Math.round(x * 1e6) / 1e6;

/** Size of sampled frames: shorter side scaled down to `shortest` (aspect kept), never up. */
export function frameSize(width: number, height: number, shortest: number): { width: number; height: number } {
  const s = Math.min(width, height);
  if (s <= shortest) return { width, height };
  const k = shortest / s;
  return { width: Math.max(1, Math.round(width * k)), height: Math.max(1, Math.round(height * k)) };
}

/**
 * True when ffmpeg must seek in the bytes, so a pipe will not do: ISO BMFF (MP4/MOV) with `mdat`
 * before `moov`, and any GIF — ffmpeg's gif demuxer seeks back after its probe, and a GIF larger
 * than the probe's read (a 230 KB clip as GIF) failed from a pipe with "Input/output error"
 * (held-out probe round 13c: every data:, URL and CLI GIF sent as a video past a few dozen KB).
 */
export function needsSeekableInput(buf: Buffer): boolean {
  if (buf.toString('latin1', 0, 4) === 'GIF8') return true;
  let i = 0;
  let boxes = 0;
  while (i + 8 <= buf.length && boxes++ < 64) {
    let size = buf.readUInt32BE(i);
    const type = buf.toString('latin1', i + 4, i + 8);
    if (boxes === 1 && type !== 'ftyp') return false; // not ISO BMFF
    if (type === 'moov') return false;
    if (type === 'mdat') return true;
    if (size === 1 && i + 16 <= buf.length) size = Number(buf.readBigUInt64BE(i + 8));
    if (size < 8) return false;
    i += size;
  }
  return false;
}

/**
 * ffmpeg's `select` filter keeping the first frame at or after each target time
 * t_k = (k + ½)·period (a frame after a gap may cover several targets: the counter jumps past them).
 */
export function selectAt(period: number): string {
  const p = period.toFixed(6);
  return `select='if(gte(t\\,(ld(0)+0.5)*${p})\\,st(0\\,floor(t/${p}-0.5)+1)\\,0)'`;
}

/** The rotation (degrees) a stream's side data or `rotate` tag asks for; 0 when none or unreadable. */
export function readRotation(s: Record<string, unknown>): number {
  const side = s.side_data_list as Array<Record<string, unknown>> | undefined;
  const fromSide = side?.find((d) => d.rotation !== undefined)?.rotation;
  const fromTag = (s.tags as Record<string, unknown> | undefined)?.rotate;
  const r = Number(fromSide ?? fromTag ?? 0);
  return Number.isFinite(r) ? r : 0;
}
