/**
 * Playwright UI self-check: the workbench served by our VS Code server renders in Debian's
 * chromium. Opens a folder with the self-test extension loaded, waits for the activity bar, runs
 * the extension's command from the command palette, and saves a screenshot.
 *
 *   node --import tsx test/vscode/selftest/ui.ts     (exit 0 = rendered; screenshot in test-results/)
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  REPO_ROOT,
  ensureServerInstalled,
  launchBrowser,
  openWorkbench,
  startServer,
  stopServer,
  workbenchUrl,
  type LaunchedBrowser,
  type VsServer,
} from '../server';

const SHOT = path.join(REPO_ROOT, 'test-results/selftest.png');

async function main(): Promise<void> {
  ensureServerInstalled();
  const folder = mkdtempSync(path.join(os.tmpdir(), 'virtnet-ui-ws-'));
  writeFileSync(path.join(folder, 'README.md'), '# self-test workspace\n');
  let server: VsServer | undefined;
  let browser: LaunchedBrowser | undefined;
  try {
    const t0 = Date.now();
    server = await startServer();
    browser = await launchBrowser();
    const url = workbenchUrl(server, {
      folder,
      extensionDevelopmentPath: path.join(REPO_ROOT, 'test/vscode/selftest/ext'),
    });
    const page = await openWorkbench(browser.browser, url);
    console.log(`workbench rendered in ${Date.now() - t0} ms`);

    // Drive it a little: the explorer shows the folder's file, and the palette finds our command.
    await page.locator('.explorer-folders-view .monaco-list-row', { hasText: 'README.md' }).waitFor({ timeout: 30_000 });
    await page.keyboard.press('F1');
    const input = page.locator('.quick-input-widget input');
    await input.waitFor();
    await input.fill('>Self-test: Hello');
    await page.locator('.quick-input-list .monaco-list-row', { hasText: 'Self-test: Hello' }).first().waitFor({ timeout: 30_000 });
    console.log('command palette lists "Self-test: Hello"');

    mkdirSync(path.dirname(SHOT), { recursive: true });
    await page.screenshot({ path: SHOT });
    console.log(`screenshot: ${SHOT}`);
  } finally {
    await browser?.close();
    if (server) await stopServer(server);
    rmSync(folder, { recursive: true, force: true });
  }
}

main().then(
  () => process.exit(0),
  (e) => {
    console.error(e);
    process.exit(1);
  },
);
