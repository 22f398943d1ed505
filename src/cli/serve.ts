import type { Command } from 'commander';
import { addConfigFlags, configFromFlags, runAction, type ConfigFlags } from './common.js';
import { startServer } from '../http/server.js';

export function registerServe(program: Command): void {
  addConfigFlags(program.command('serve').description('run the proxy (and rerank API) in front of the cluster')).action((flags: ConfigFlags) =>
    runAction(async () => {
      const config = configFromFlags(flags);
      const running = await startServer(config);
      process.stdout.write(`vlrerank listening on ${running.url} → ${config.upstream.urls.join(', ')}\n`);
      const stop = async () => {
        await running.close();
        process.exit(0);
      };
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    }),
  );
}
