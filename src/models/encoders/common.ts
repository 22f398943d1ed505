/**
 * Small helpers shared by the encoders: stacking preprocessed images into one NCHW tensor,
 * L2 normalisation, softmax. Pure functions over typed arrays.
 */
import { vlrError } from '../../errors.js';
import type { ImagePreprocess, PreprocessedImage } from '../preprocess.js';
import { ort } from '../session.js';

/**
 * Check an image matches the model input before it joins a batch, so that one caller's wrong
 * input is refused alone instead of failing everyone's batch.
 */
export function assertImage(im: PreprocessedImage, spec: Pick<ImagePreprocess, 'width' | 'height'>, model: string): PreprocessedImage {
  const [c, h, w] = im.dims ?? [];
  if (c !== 3 || h !== spec.height || w !== spec.width || im.data?.length !== 3 * spec.height * spec.width) {
    throw vlrError('VLR_BAD_REQUEST', `model ${model} expects images preprocessed to [3, ${spec.height}, ${spec.width}], got [${(im.dims ?? []).join(', ')}]`);
  }
  return im;
}

/** Stack CHW images into one [n, 3, h, w] float32 tensor, checking each matches the model input. */
export function stackImages(images: PreprocessedImage[], spec: Pick<ImagePreprocess, 'width' | 'height'>, model: string): ort.Tensor {
  const per = 3 * spec.height * spec.width;
  const data = new Float32Array(images.length * per);
  images.forEach((im, i) => {
    const [c, h, w] = im.dims;
    if (c !== 3 || h !== spec.height || w !== spec.width || im.data.length !== per) {
      throw vlrError('VLR_BAD_REQUEST', `model ${model} expects images preprocessed to [3, ${spec.height}, ${spec.width}], got [${im.dims.join(', ')}]`);
    }
    data.set(im.data, i * per);
  });
  return new ort.Tensor('float32', data, [images.length, 3, spec.height, spec.width]);
}

/** L2-normalise in place (zero vectors stay zero) and return the array. */
export function l2normalize(v: Float32Array): Float32Array {
  let s = 0;
  for (let i = 0; i < v.length; i++) s += v[i]! * v[i]!;
  const n = Math.sqrt(s);
  if (n > 0) for (let i = 0; i < v.length; i++) v[i]! /= n;
  return v;
}

/** Row i of a [n, d] tensor, copied. */
export function row(t: ort.Tensor, i: number): Float32Array {
  const d = t.dims[t.dims.length - 1]!;
  return Float32Array.from((t.data as Float32Array).subarray(i * d, (i + 1) * d));
}

export function softmax(logits: Float32Array, temperature = 1): Float32Array {
  let max = -Infinity;
  for (const v of logits) if (v > max) max = v;
  const out = new Float32Array(logits.length);
  let s = 0;
  for (let i = 0; i < logits.length; i++) s += out[i] = Math.exp((logits[i]! - max) / temperature);
  for (let i = 0; i < out.length; i++) out[i]! /= s;
  return out;
}

export function dot(a: Float32Array, b: Float32Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
}
