#!/usr/bin/env node
/**
 * The `vlrerank` command. Each subcommand is defined in commands.ts and registered here; its code
 * lives in its own file, loaded by its action when it runs: what this module imports is loaded
 * before the arguments are read, at every start (`--version`, `--help`, a usage mistake), so it
 * stays commander and the command definitions (scripts/import-rules.ts checks it).
 *
 * As a Unix tool: a usage mistake (unknown command or flag, a required flag missing) prints the
 * usage on stderr and exits 2, as getopt-style tools and this CLI's own refusals of bad values do
 * (commander's default is 1, the code of a failed run); `--help`/`--version` exit 0. A reader of
 * stdout that goes away (`vlrerank rerank … | head -1`) ends the command quietly: EPIPE printed a
 * stack trace and exit 1 (held-out probe round 11b). Any other failure to write stdout (a full
 * disk, `> /dev/full`: ENOSPC; EIO) is one line naming it and exit 1: it was an uncaught exception's
 * stack (held-out probe round 16c).
 */
import { createRequire } from 'node:module';
import { Command, CommanderError } from 'commander';
import { registerConfig, registerEval, registerIndex, registerModels, registerRerank, registerServe } from './commands.js';

/** Exit code of a usage mistake. */
export const USAGE_EXIT = 2;

process.stdout.on('error', (e: NodeJS.ErrnoException) => {
  if (e.code === 'EPIPE') process.exit(0);
  const why = e.code === 'ENOSPC' ? 'ENOSPC, no space left on the device (free some, or write it elsewhere)' : e.message;
  process.stderr.write(`vlrerank: cannot write the output: ${why}\n`);
  process.exit(1);
});

// the installed package's own version (src/cli and dist/cli both sit two folders below package.json), not a copy of it
const { version } = createRequire(import.meta.url)('../../package.json') as { version: string };

const program = new Command();
program.name('vlrerank').description('Multimodal reranking sidecar for Elasticsearch and OpenSearch').version(version);
program.showHelpAfterError();
// inherited by every subcommand registered below (commander copies it in .command())
program.exitOverride((e: CommanderError) => {
  process.exit(e.exitCode === 0 ? 0 : USAGE_EXIT);
});

registerServe(program);
registerConfig(program);
registerModels(program);
registerIndex(program);
registerRerank(program);
registerEval(program);

await program.parseAsync(process.argv);
