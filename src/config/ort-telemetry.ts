/**
 * Imported before onnxruntime-node by the two modules that load it (models/session.ts and
 * models/session-worker.ts; here because only config/ touches process.env):
 * onnxruntime-node 1.30's Linux build starts Microsoft's telemetry with its first session unless
 * `ORT_DISABLE_TELEMETRY` is set. It left an empty `mat-debug-<pid>.log` and a `.ses` file in the
 * OS tmp dir for every process that ever loaded a model (5,233 of them in this machine's /tmp),
 * kept an event database in `~/.cache/Microsoft/DeveloperTools/.onnxruntime` (2.7 MB + a 4.7 MB
 * write-ahead log here, outside every budget vlrerank has), and is built to upload it over HTTPS
 * (the library's strings: "telemetry HTTPS uploads will be unavailable" where no CA bundle is
 * found) — from a proxy that never said it calls out (held-out probe round 13d). Off unless the operator
 * set the variable themselves; read by the native library, so it must be set before it loads.
 */
process.env.ORT_DISABLE_TELEMETRY ??= '1';

export {};
