/** Held-out probe round 27a: `index setup` of more `p27a-*` indices with the round's pipeline copy. `npx tsx scripts/probe/p27a-setup.ts ENGINE PIPELINES_DIR index…` */
import { parseConfig } from '../../src/config/load.js';
import { EngineClient } from '../../src/engine/client.js';
import { setupIndex } from '../../src/engine/mapping.js';
import { UpstreamPool } from '../../src/proxy/pool.js';
import { loadPipelines } from '../../src/pipelines/index.js';

const [engine, dir, ...indices] = process.argv.slice(2);
const pool = new UpstreamPool(parseConfig({ upstream: { urls: [engine!] } }).upstream);
const p = loadPipelines(dir!).find((x) => x.name === "p27a")!;
for (const i of indices) console.log(i, JSON.stringify(await setupIndex(new EngineClient(pool), p, i)).slice(0, 120));
await pool.close();
