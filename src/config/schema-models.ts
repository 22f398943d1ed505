/**
 * The `models` and `media` sections: where and how the models run, what media are read and how
 * (and VIDEO_SAMPLING, the one spelling of the video sampling defaults).
 *
 * One of the sections of the one configuration schema (schema.ts, which assembles and re-exports them; import
 * from there). The doc comment above each key is its description in README.md's generated
 * configuration reference (scripts/config-reference.ts).
 */
import { z } from 'zod';
import { nonNegativeInt, positiveInt, url } from './schema-parts.js';

export const modelsSchema = z.strictObject({
  /** Where model weights live (pulled into, loaded from). */
  dir: z.string().min(1).default('.models'),
  /** Local mirror folders tried first by `models pull`, in order. */
  mirrors: z.array(z.string().min(1)).default([]),
  /** Execution provider: auto tries CUDA (when its binaries exist) and falls back to CPU. */
  device: z.enum(['auto', 'cpu', 'cuda']).default('auto'),
  /** onnxruntime intra-op threads per session (0: onnxruntime's default, one per core of the machine — or, when a CPU affinity or a cgroup CPU quota leaves fewer, `serve` uses that many). */
  intraOpThreads: nonNegativeInt.default(0),
  /** onnxruntime inter-op threads per session. */
  interOpThreads: nonNegativeInt.default(1),
  /**
   * onnxruntime intra-op thread spinning. Off: on the 2-core machines `npm run bench:features` measured
   * EfficientNet 0.4–0.8× as fast with it on at batch 1–8, warm and cold (PITFALLS.md).
   */
  allowSpinning: z.boolean().default(false),
  /**
   * Where onnxruntime runs the models: `worker`, in worker threads (models.inferenceWorkers), so a model run never
   * blocks the proxy's event loop; `main`, on the event loop itself (the old behaviour, kept as the
   * baseline of `npm run bench:event-loop`).
   */
  inferenceThread: z.enum(['worker', 'main']).default('worker'),
  /**
   * Nice value (0–19) of the inference worker thread and the onnxruntime threads it starts, and of
   * the other threads and processes that do only rerank and ingest work — the image worker thread,
   * the libvips threads sharp starts, ffmpeg children: they yield the CPU to the event loop
   * (passthrough, health, 429s) when the machine is saturated, and take it all when it is idle. 0
   * keeps them at the process's priority. Linux sets it per thread; where the OS refuses, it is
   * ignored. The inference part is not applied with `inferenceThread: main`.
   */
  inferenceNice: z.number().int().min(0).max(19).default(10),
  /**
   * Inference worker threads the object detector (NanoDet, one run per photo) is spread over, each
   * worker holding its own copy at cores ÷ workers intra-op threads, a run going to the least busy
   * one: two photos run side by side on one core each instead of one photo on two cores that
   * sharp's decodes preempt (perf19). EfficientNet and the text models stay in the first worker. 0: one per usable
   * core (CPU affinity, cgroup quota), at most 2. 1: one worker, the behaviour before perf19.
   * Each further worker costs a copy of the detector's session (DEPLOYMENT.md).
   */
  inferenceWorkers: nonNegativeInt.default(0),
  /**
   * The lane ingest, record write-back and backfill queue their model work in: `background` (a
   * search's query and documents go ahead of it; it still gets one batch in 8 while searches wait),
   * or `foreground` (one queue with searches' documents, the old behaviour: ingest keeps its pace,
   * searches wait behind it).
   */
  ingestLane: z.enum(['background', 'foreground']).default('background'),
  /** Precision variant per model id (fp32 / fp16 / int8) where its manifest lists files; default the manifest's. */
  precision: z.record(z.string(), z.enum(['fp32', 'fp16', 'int8'])).default({}),
  batch: z
    .strictObject({
      /** Most inputs one model run takes (a manifest may set a lower cap for its model). */
      maxBatchSize: positiveInt.default(16),
      /** How long a batch waits for more callers before it runs. */
      maxWaitMs: nonNegativeInt.default(2),
      /** Inputs waiting per model, for searches and for ingest each (models.ingestLane); past it callers get VLR_OVERLOADED (429). */
      maxQueue: positiveInt.default(1024),
    })
    .default({ maxBatchSize: 16, maxWaitMs: 2, maxQueue: 1024 }),
});

/**
 * How videos are sampled when neither a request, a document nor a pipeline says (`media.fps`,
 * `media.maxFrames`): the one spelling of these defaults — the schema's, the decoder's, the
 * reranker's and admission's cost all read it (fix20a: it was written out in five places).
 */
export const VIDEO_SAMPLING: Readonly<{ fps: number; maxFrames: number }> = Object.freeze({ fps: 1, maxFrames: 32 });

export const mediaSchema = z.strictObject({
  /** Local folders media paths may be read from; none by default. */
  roots: z.array(z.string().min(1)).default([]),
  /** Hosts or CIDRs allowed even though private/loopback (e.g. an internal CDN). */
  allowHosts: z.array(z.string().min(1)).default([]),
  /**
   * Egress proxy for media URLs: one URL for both schemes (`http://user:password@proxy.corp:3128`; credentials are sent as Proxy-Authorization and never logged), or `{http, https}`. https:// media go through CONNECT (TLS end to end), http:// media as the proxy's absolute-form request. The SSRF guard resolves and checks each hop's host before the proxy is asked; the proxy's own address is not checked. Unset: `https_proxy`/`HTTPS_PROXY` for https media (else the http proxy) and `http_proxy`/`HTTP_PROXY` for http media, lower case first. Only media use it: the upstream cluster is reached directly.
   */
  proxy: z.union([url, z.strictObject({ http: url.optional(), https: url.optional() })]).optional(),
  /** Media hosts fetched directly although a proxy is set, as curl reads NO_PROXY: names (and their subdomains; a leading `.` or `*.` is dropped), IPs, CIDRs (against IP literals only), each with an optional `:port`; `*` for all. Unset: `no_proxy`/`NO_PROXY`. */
  noProxy: z.array(z.string().min(1)).optional(),
  /** Largest image or fetched media, in bytes. */
  maxBytes: positiveInt.default(32 * 1024 * 1024),
  /** Largest image in pixels, checked from the header before decoding (decompression bombs). */
  maxPixels: positiveInt.default(50_000_000),
  /** Time limit for fetching one media URL. */
  fetchTimeoutMs: positiveInt.default(10_000),
  /** Redirects followed when fetching media; each target is checked by the SSRF guard again. */
  maxRedirects: nonNegativeInt.default(3),
  /**
   * How long a media URL's bytes are kept after a fetch for the asks that follow (a search by photo's kNN vector then its rerank, a write's vectors then its record, requests queued behind one another): fetched once, not once per use. Answers marked no-store / no-cache, or already stale (an Expires past or invalid, an Age past max-age), are not kept; a shorter freshness left (max-age, or Expires − Date, less Age) is obeyed. 0: not kept.
   */
  keepFetchedMs: nonNegativeInt.default(10_000),
  /** Bytes of recently fetched media kept in all (a media larger than a quarter of it is not kept). */
  keepFetchedBytes: positiveInt.default(64 * 1024 * 1024),
  /**
   * How long a media URL whose fetch failed (an HTTP error, a time-out, a refused connection, an unknown host) is answered that failure without asking its host again: a hit whose photo is gone, or whose host does not answer, costs each search a round trip or the whole fetchTimeoutMs otherwise. A 429/503's Retry-After (seconds) is obeyed up to five minutes. 0: asked again every time.
   */
  keepFailedMs: nonNegativeInt.default(10_000),
  /** ffmpeg binary used to sample video frames. */
  ffmpegPath: z.string().min(1).default('ffmpeg'),
  /** ffprobe binary used to read a video's duration and size. */
  ffprobePath: z.string().min(1).default('ffprobe'),
  /** Longest video accepted, in seconds. */
  maxVideoSeconds: z.number().positive().default(600),
  /** Largest video accepted, in bytes. */
  maxVideoBytes: positiveInt.default(256 * 1024 * 1024),
  /** ffmpeg is killed past this time for one video. */
  videoTimeoutMs: positiveInt.default(60_000),
  /** Frames sampled per second of video, unless a request says otherwise. */
  fps: z.number().positive().default(VIDEO_SAMPLING.fps),
  /** Most frames per video; beyond it frames are spread uniformly over the whole video. */
  maxFrames: positiveInt.default(VIDEO_SAMPLING.maxFrames),
});
