/**
 * The real stack for the browser tests: a real Elasticsearch (test/helpers/engines.ts), the
 * vlrerank server in-process on port 0 with the built UI, the shared models and the demo data as
 * media root, and Debian's Chromium driven by playwright-core (Playwright's own browser download
 * does not work here). Screenshots go to test/artifacts/ (git-ignored).
 */
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer, type RunningServer } from '../../src/server/start.js';
import { parseConfig } from '../../src/config/load.js';
import { uiDistDir } from '../../src/http/ui-routes.js';
import { useEngine } from '../helpers/engines.js';
import { DATA, MODELS, REPO_ROOT } from '../helpers/paths.js';

export const ARTIFACTS = join(REPO_ROOT, 'test', 'artifacts');
export const CHROMIUM = process.env.VLRERANK_CHROMIUM ?? '/usr/bin/chromium';
export const ADMIN_TOKEN = 'browser-test-admin-token';

export interface Stack {
  server: RunningServer;
  es: string;
  context: BrowserContext;
  page: Page;
  close(): Promise<void>;
}

export function ensureUiBuilt(): void {
  // builds when missing or older than its sources (a no-op in a second run)
  execFileSync(process.execPath, [join(REPO_ROOT, 'scripts', 'demo', 'build-ui-if-stale.mjs')], { cwd: REPO_ROOT, stdio: 'ignore' });
  if (!existsSync(join(uiDistDir(), 'index.html'))) throw new Error('the UI did not build (npm run build:ui)');
}

export async function startStack(options: { engine?: boolean } = {}): Promise<Stack> {
  ensureUiBuilt();
  mkdirSync(ARTIFACTS, { recursive: true });
  const es = options.engine === false ? 'http://127.0.0.1:1' : await useEngine('elasticsearch');
  const server = await startServer(
    parseConfig({
      server: { port: 0, adminToken: ADMIN_TOKEN, ui: true },
      upstream: { urls: [es] },
      log: { level: 'silent', access: false },
      models: { dir: MODELS },
      media: { roots: [DATA] },
      pipelines: { dir: join(REPO_ROOT, 'pipelines') },
    }),
  );
  const userDataDir = mkdtempSync(join(tmpdir(), 'vlr-chromium-'));
  // a fresh profile per run: launchPersistentContext passes it as --user-data-dir
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    headless: true,
    viewport: { width: 1280, height: 900 },
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
      '--disable-quic',
    ],
  });
  const page = context.pages()[0] ?? (await context.newPage());
  page.setDefaultTimeout(60_000);
  return {
    server,
    es,
    context,
    page,
    async close() {
      await context.close().catch(() => {});
      rmSync(userDataDir, { recursive: true, force: true });
      await server.close();
    },
  };
}

export function shot(page: Page, name: string): Promise<Buffer> {
  return page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });
}
