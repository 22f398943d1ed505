import type { Command } from 'commander';
import { addConfigFlags, configFromFlags, runAction, type ConfigFlags } from './common.js';
import { startServer } from '../server/start.js';
import { withServeStoreDefaults } from '../config/store-defaults.js';
import { inferenceIdle } from '../models/inference-idle.js';

export function registerServe(program: Command): void {
  addConfigFlags(program.command('serve').description('run the proxy (and rerank API) in front of the cluster'))
    .option('--role <role>', 'proxy (default: the drop-in proxy, rerank APIs, UI) or worker (rerank APIs only, for a scorer machine)')
    .action((flags: ConfigFlags & { role?: string }) =>
    runAction(async () => {
      // features are kept on disk by default when serving (config/store-defaults.ts)
      const config = withServeStoreDefaults(configFromFlags(flags, flags.role !== undefined ? { 'server.role': flags.role } : {}));
      const running = await startServer(config);
      process.stdout.write(
        config.server.role === 'worker'
          ? `vlrerank worker listening on ${running.url} (rerank APIs only)\n`
          : `vlrerank listening on ${running.url} → ${config.upstream.urls.join(', ')}\n`,
      );
      // the warm-up runs in the background (requests are served meanwhile): say when it ends
      const warm = running.services.reranker.warm;
      if (warm.state === 'warming') {
        process.stdout.write('reranker warming up (models load in the background; GET /_vlrerank/health shows its state)\n');
        void warm.wait().then(() => {
          const s = warm.status();
          process.stdout.write(
            s.state === 'ready'
              ? `reranker ready in ${((s.ms ?? 0) / 1000).toFixed(1)} s\n`
              : `reranker warm-up failed (${s.code}: ${s.reason}); searches load the models on first use and fail open as before\n`,
          );
        });
      }
      const stop = async () => {
        await running.close();
        await inferenceIdle(); // never exit under a model run in the inference worker (it aborts the process)
        process.exit(0);
      };
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    }),
  );
}
