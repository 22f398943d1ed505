/**
 * Small helpers shared by the encoders: checking and stacking preprocessed images into one NCHW
 * tensor, running a batch of token encodings through a BERT-family model, copying a row out of an
 * output tensor. Vector math (L2 normalisation, softmax) lives in
 * src/util/vector.ts. Pure functions over typed arrays.
 */
import { vlrError } from '../../errors.js';
import type { Manifest } from '../manifest.js';
import type { ImagePreprocess, PreprocessedImage } from '../preprocess.js';
import type { InputPool } from '../input-pool.js';
import type { RowSelect } from '../row-select.js';
import { ort, type ModelSession, type Outputs, type StackedFeed } from '../session.js';
import { padBatch, type Encoded } from '../tokenizer.js';

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

/**
 * Stack CHW images into one [n, 3, h, w] float32 input, checking each matches the model input.
 * One `owned` image is not copied: the tensor is a view of its own buffer (its caller gave it up).
 * Several owned images over shared memory (the input pool's, as the feature layer writes them) are
 * not copied either: the input is their list (`StackedFeed`), which the inference worker copies
 * straight into its staging array, and `runImages` gives each back to the pool once the run has
 * settled. Otherwise they are copied into a buffer of the input pool (input-pool.ts; `runImages`
 * gives it back), and an owned image's pooled buffer goes back to the pool once copied.
 */
export function stackImages(images: PreprocessedImage[], spec: Pick<ImagePreprocess, 'width' | 'height'>, model: string, inputs: InputPool): ort.Tensor | StackedFeed {
  const per = 3 * spec.height * spec.width;
  if (images.length === 1 && images[0]!.owned) return new ort.Tensor('float32', assertImage(images[0]!, spec, model).data, [1, 3, spec.height, spec.width]);
  for (const im of images) {
    const [c, h, w] = im.dims;
    if (c !== 3 || h !== spec.height || w !== spec.width || im.data.length !== per) {
      throw vlrError('VLR_BAD_REQUEST', `model ${model} expects images preprocessed to [3, ${spec.height}, ${spec.width}], got [${im.dims.join(', ')}]`);
    }
  }
  const dims = [images.length, 3, spec.height, spec.width];
  if (images.every((im) => im.owned && im.data.buffer instanceof SharedArrayBuffer)) return { type: 'float32', dims, parts: images.map((im) => im.data) };
  const data = inputs.acquire(images.length * per);
  images.forEach((im, i) => {
    data.set(im.data, i * per);
    if (im.owned) inputs.release(im.data);
  });
  return new ort.Tensor('float32', data, dims);
}

/**
 * Run images through an image model: stacked (`stackImages`), handed over to the run (nobody
 * reads the stacked tensor after it), and its pooled buffer(s) given back once the run has settled.
 */
export async function runImages(
  session: ModelSession,
  inputs: InputPool,
  inputName: string,
  images: PreprocessedImage[],
  spec: Pick<ImagePreprocess, 'width' | 'height'>,
  model: string,
  outputs: readonly string[],
  select?: RowSelect,
): Promise<Outputs> {
  const input = stackImages(images, spec, model, inputs);
  try {
    return await session.run({ [inputName]: input }, outputs, { handOver: true, ...(select ? { select } : {}) });
  } finally {
    if ('parts' in input) for (const p of input.parts) inputs.release(p);
    else inputs.release(input.data as Float32Array);
  }
}

/**
 * Run token encodings, padded to the longest, through a BERT-family model (input_ids,
 * attention_mask, token_type_ids; the session feeds only the inputs the model declares) and return
 * its first output with the padded length.
 */
export async function runTextBatch(session: ModelSession, manifest: Manifest, encs: Encoded[], padId: number): Promise<{ seq: number; out: ort.Tensor }> {
  const { seq, ids, mask, types } = padBatch(encs, padId);
  const dims = [encs.length, seq];
  const feeds = {
    input_ids: new ort.Tensor('int64', ids, dims),
    attention_mask: new ort.Tensor('int64', mask, dims),
    token_type_ids: new ort.Tensor('int64', types, dims),
  };
  const outName = manifest.io.model!.outputs[0]!;
  return { seq, out: (await session.run(feeds, [outName]))[outName]! };
}

/** Row i of a [n, d] tensor, copied. */
export function row(t: ort.Tensor, i: number): Float32Array {
  const d = t.dims[t.dims.length - 1]!;
  return Float32Array.from((t.data as Float32Array).subarray(i * d, (i + 1) * d));
}
