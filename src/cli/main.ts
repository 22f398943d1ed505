#!/usr/bin/env node
/**
 * The `vlrerank` command. Each subcommand lives in its own file and registers itself here.
 */
import { Command } from 'commander';
import { registerServe } from './serve.js';
import { registerConfig } from './config-cmd.js';
import { registerModels } from './models.js';
import { registerIndex } from './index-cmd.js';
import { registerRerank } from './rerank.js';
import { registerEval } from './eval-cmd.js';

const program = new Command();
program.name('vlrerank').description('Multimodal reranking sidecar for Elasticsearch and OpenSearch').version('0.1.0');
program.showHelpAfterError();

registerServe(program);
registerConfig(program);
registerModels(program);
registerIndex(program);
registerRerank(program);
registerEval(program);

await program.parseAsync(process.argv);
