// `npm start` a second time (the first still running, or anything else on the port): one clear
// sentence naming the port and VLRERANK_PORT, exit 2 — not the same message again with a stack
// trace under it (held-out probe round 12c). VLRERANK_DEMO_INDICES=none: no index is made or
// touched on the cluster.
import { describe, it, expect } from 'vitest';
import { execFile } from 'node:child_process';
import { createServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { useEngine } from '../../helpers/engines.js';
import { REPO_ROOT } from '../../helpers/paths.js';

function start(env: Record<string, string>): Promise<{ code: number; out: string }> {
  return new Promise((ok) =>
    execFile(process.execPath, ['--import', 'tsx', join(REPO_ROOT, 'scripts/start.ts')], { cwd: REPO_ROOT, env: { ...process.env, ...env }, timeout: 120_000 }, (e, stdout, stderr) =>
      ok({ code: (e as { code?: number } | null)?.code ?? 0, out: stdout + stderr }),
    ),
  );
}

describe('npm start on a port already in use', () => {
  it('says so once, names VLRERANK_PORT, and exits 2', async () => {
    const es = await useEngine('elasticsearch');
    const busy = createServer();
    await new Promise<void>((ok) => busy.listen(0, '127.0.0.1', ok));
    const port = (busy.address() as AddressInfo).port;
    try {
      const r = await start({ VLRERANK_UPSTREAM: es, VLRERANK_DEMO_INDICES: 'none', VLRERANK_PORT: String(port), VLRERANK_HOST: '127.0.0.1' });
      expect(r.code).toBe(2);
      expect(r.out).toContain(`port ${port} is in use`);
      expect(r.out).toMatch(/VLRERANK_PORT/);
      expect(r.out.match(/is in use/g)).toHaveLength(1);
      expect(r.out).not.toMatch(/\n\s+at .*start\.ts:\d+/);
      expect(r.out).not.toMatch(/Ready in/);
    } finally {
      busy.close();
    }
  });
});
