/** Times each ModelSession.unload (what a close's `services:rerank:models` waits on). */
import { ModelSession } from '../../src/models/session.js';
const orig = ModelSession.prototype.unload;
ModelSession.prototype.unload = async function (this: any) {
  const t0 = performance.now();
  await orig.call(this);
  const ms = Math.round(performance.now() - t0);
  console.log('  unload', this.options?.name, ms, 'ms');
};
import { Models } from '../../src/models/index.js';
import { ModelRegistry } from '../../src/models/registry.js';
for (const [C, n] of [[Models, 'Models'], [ModelRegistry, 'Registry']] as const) {
  const o = (C as any).prototype.close;
  (C as any).prototype.close = async function (this: any) { const t0 = performance.now(); await o.call(this); console.log(' ', n, 'close', Math.round(performance.now() - t0), 'ms'); };
}
