/**
 * Stop-gap video frame sampling for the reranker until features/media/video.ts (features engineer)
 * lands: ffmpeg decodes the bytes from stdin at `fps`, scaled to fit 640 px, as raw RGB frames,
 * at most `maxFrames` of them. A missing ffmpeg, a corrupt file or a timeout is a media error.
 */
import { spawn } from 'node:child_process';
import { vlrError } from '../errors.js';
import type { DecodedImage } from '../features/media/image.js';

export interface SampleOptions {
  fps: number;
  maxFrames: number;
  ffmpegPath?: string;
  timeoutMs?: number;
  signal?: AbortSignal;
}

const W = 640;
const H = 480;

export async function sampleVideoFrames(bytes: Buffer, o: SampleOptions): Promise<{ frames: DecodedImage[]; times: number[] }> {
  const args = ['-v', 'error', '-nostdin', '-i', 'pipe:0', '-vf', `fps=${o.fps},scale=${W}:${H}:force_original_aspect_ratio=decrease,pad=${W}:${H}:(ow-iw)/2:(oh-ih)/2`, '-frames:v', String(o.maxFrames), '-f', 'rawvideo', '-pix_fmt', 'rgb24', 'pipe:1'];
  return new Promise((resolve, reject) => {
    let child;
    try {
      child = spawn(o.ffmpegPath ?? 'ffmpeg', args, { stdio: ['pipe', 'pipe', 'pipe'], signal: o.signal });
    } catch (e) {
      reject(vlrError('VLR_MEDIA_UNSUPPORTED', 'ffmpeg cannot be started', { cause: e }));
      return;
    }
    const chunks: Buffer[] = [];
    let err = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), o.timeoutMs ?? 60_000);
    child.stdout.on('data', (c: Buffer) => chunks.push(c));
    child.stderr.on('data', (c: Buffer) => (err += c.toString()).length > 4000 && (err = err.slice(-4000)));
    child.stdin.on('error', () => undefined);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(vlrError('VLR_MEDIA_UNSUPPORTED', `video decoding unavailable: ${(e as Error).message} (is ffmpeg installed? media.ffmpegPath)`, { cause: e }));
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      const all = Buffer.concat(chunks);
      const size = W * H * 3;
      const n = Math.floor(all.byteLength / size);
      if (n === 0) {
        reject(vlrError('VLR_MEDIA_UNSUPPORTED', `video cannot be decoded${code ? ` (ffmpeg exit ${code}: ${err.trim().split('\n').pop() ?? ''})` : ''}`));
        return;
      }
      const frames: DecodedImage[] = [];
      const times: number[] = [];
      for (let i = 0; i < n; i++) {
        frames.push({ data: all.subarray(i * size, (i + 1) * size), width: W, height: H, channels: 3 });
        times.push(Math.round((i / o.fps) * 1000) / 1000);
      }
      resolve({ frames, times });
    });
    child.stdin.end(bytes);
  });
}
