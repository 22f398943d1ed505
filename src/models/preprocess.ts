/**
 * The image preprocessing contract between a model manifest and the image pipeline in
 * features/media/image.ts. A manifest states it; the image pipeline follows it exactly.
 */
export interface ImagePreprocess {
  /** Model input height and width in pixels. */
  width: number;
  height: number;
  /**
   * How the decoded image reaches width×height:
   * - `shortest-crop`: resize the shorter side to `resizeShortest` (default = max(width,height)), then center-crop
   * - `stretch`: resize both sides to width×height, aspect ratio not kept
   */
  resize: 'shortest-crop' | 'stretch';
  /** Shorter side after resize, before the center crop (e.g. 297 for EfficientNet-Lite2 at crop_pct 0.875). */
  resizeShortest?: number;
  interpolation: 'bicubic' | 'bilinear' | 'nearest' | 'lanczos3';
  /** Channel order of the model input. */
  channelOrder: 'rgb' | 'bgr';
  /** Multiply 0..255 pixels by this before mean/std (1/255 for CLIP, 1 for EfficientNet/NanoDet). */
  rescale: number;
  /** Per-channel mean and std in the model's channel order, applied after rescale. */
  mean: [number, number, number];
  std: [number, number, number];
}

/** A preprocessed image: CHW float32 in the model's channel order, plus where it came from. */
export interface PreprocessedImage {
  data: Float32Array;
  /** [3, height, width] */
  dims: [number, number, number];
  /** Size of the decoded image after EXIF orientation, before resize. */
  original: { width: number; height: number };
  /**
   * `data` was made for one model run and nobody reads it after: a batch of this image alone
   * hands its buffer to the inference worker as it is (transferred, detached afterwards) instead
   * of copying it into a batch tensor first (a NanoDet input is 2 MB, and NanoDet runs one image
   * at a time). Leave it unset for a tensor that is used again.
   */
  owned?: boolean;
}
