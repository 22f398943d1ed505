/** `vlrerank config` (its flags: cli/commands.ts): the effective configuration, secrets redacted, as YAML or JSON. */
import { stringify } from 'yaml';
import { configFromFlags, type ConfigFlags } from './common.js';
import { redactConfig } from '../config/load.js';

export function showConfig(flags: ConfigFlags & { json?: boolean }): void {
  const shown = redactConfig(configFromFlags(flags));
  process.stdout.write(flags.json ? JSON.stringify(shown, null, 2) + '\n' : stringify(shown));
}
