import type { Command } from 'commander';
import { stringify } from 'yaml';
import { addConfigFlags, configFromFlags, runAction, type ConfigFlags } from './common.js';
import { redactConfig } from '../config/load.js';

export function registerConfig(program: Command): void {
  addConfigFlags(program.command('config').description('print the effective configuration, secrets redacted'))
    .option('--json', 'print JSON instead of YAML')
    .action((flags: ConfigFlags & { json?: boolean }) =>
      runAction(() => {
        const shown = redactConfig(configFromFlags(flags));
        process.stdout.write(flags.json ? JSON.stringify(shown, null, 2) + '\n' : stringify(shown));
      }),
    );
}
