/**
 * "Is a model run in progress?" for code about to call process.exit(). Exiting while the inference
 * worker is inside a native onnxruntime run aborts the process (exit 134, see session-worker.ts),
 * so the CLI awaits `inferenceIdle()` first. This module deliberately imports nothing, so a CLI
 * command that never touched a model does not load onnxruntime just to exit.
 */
const registered = new Set<() => Promise<void>>();

/** Called once by each process-wide inference worker when it is created (the shared one, and the pool's others). */
export function registerInferenceIdle(idle: () => Promise<void>): void {
  registered.add(idle);
}

/** Resolves once no model load or run is in progress in any process-wide inference worker (at once if none). */
export async function inferenceIdle(): Promise<void> {
  await Promise.all([...registered].map((idle) => idle()));
}
