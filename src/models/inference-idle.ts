/**
 * "Is a model run in progress?" for code about to call process.exit(). Exiting while the inference
 * worker is inside a native onnxruntime run aborts the process (exit 134, see session-worker.ts),
 * so the CLI awaits `inferenceIdle()` first. This module deliberately imports nothing, so a CLI
 * command that never touched a model does not load onnxruntime just to exit.
 */
let current: (() => Promise<void>) | undefined;

/** Called once by the shared inference worker when it is created. */
export function registerInferenceIdle(idle: () => Promise<void>): void {
  current = idle;
}

/** Resolves once no model load or run is in progress in the shared inference worker (at once if none). */
export function inferenceIdle(): Promise<void> {
  return current ? current() : Promise.resolve();
}
