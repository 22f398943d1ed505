/**
 * Small helpers shared by the encoders: checking and stacking preprocessed images into one NCHW
 * tensor, copying a row out of an output tensor. Vector math (L2 normalisation, softmax) lives in
 * src/util/vector.ts. Pure functions over typed arrays.
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

/** Row i of a [n, d] tensor, copied. */
export function row(t: ort.Tensor, i: number): Float32Array {
  const d = t.dims[t.dims.length - 1]!;
  return Float32Array.from((t.data as Float32Array).subarray(i * d, (i + 1) * d));
}
