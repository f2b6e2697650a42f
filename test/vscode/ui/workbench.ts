/**
 * What the UI tests share: a lab host (the one the tier brought up, from VIRTNET_TEST_HOST, or
 * their own), the VS Code server with VirtNet loaded and pointed at it, Chromium on the
 * workbench; everything stopped by pid afterwards, whatever happened.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { labUp, type LabHost } from '../../lab/lab';
import { REPO_ROOT, ensureServerInstalled, launchBrowser, startServer, stopServer, workbenchUrl, type LaunchedBrowser, type VsServer } from '../server';
import type { Checks } from './checks';

export const OUT = path.join(REPO_ROOT, 'test-results/ui');

export interface WorkbenchOptions {
  /** Name and index of the lab host to bring up when the tier did not pass one. */
  lab: { name: string; index: number };
  settings?: Record<string, unknown>;
  viewport: { width: number; height: number };
}

export async function withLabWorkbench(checks: Checks, options: WorkbenchOptions, run: (page: Page, dest: string) => Promise<void>): Promise<void> {
  mkdirSync(OUT, { recursive: true });
  ensureServerInstalled();
  let lab: LabHost | undefined;
  let server: VsServer | undefined;
  let browser: LaunchedBrowser | undefined;
  const folder = mkdtempSync(path.join(os.tmpdir(), 'virtnet-ui-ws-'));
  writeFileSync(path.join(folder, 'README.md'), '# VirtNet UI test workspace\n');
  try {
    let dest = process.env.VIRTNET_TEST_HOST;
    let sshConfig = process.env.VIRTNET_TEST_SSH_CONFIG;
    if (!dest || !sshConfig) {
      lab = await labUp(options.lab.name, options.lab.index);
      await lab.seed();
      ({ dest, sshConfig } = lab);
    }
    server = await startServer({ settings: { 'virtnet.hosts': [dest], 'virtnet.sshConfigFile': sshConfig, ...options.settings } });
    browser = await launchBrowser();
    const page = await browser.browser.newPage({ viewport: options.viewport });
    await page.goto(workbenchUrl(server, { folder, extensionDevelopmentPath: REPO_ROOT }));
    await page.locator('.monaco-workbench .part.activitybar').waitFor({ state: 'visible', timeout: 60_000 });
    await run(page, dest);
  } catch (e) {
    checks.fail('the test could run', String((e as Error).stack ?? e));
  } finally {
    await browser?.close();
    if (server) await stopServer(server);
    await lab?.down();
    rmSync(folder, { recursive: true, force: true });
  }
}

/** The VirtNet tree's rows in the workbench DOM. */
export const VIEW = '[id="workbench.view.extension.virtnet"]';
export const ROWS = `${VIEW} .monaco-list-row`;

export interface Row {
  index: number;
  level: number;
  expanded: string | null;
  label: string;
  description: string;
}

/** The rows the tree has drawn (it is virtual: only rows in view exist), in display order. */
export async function visibleRows(page: Page): Promise<Row[]> {
  const rows = await page.locator(ROWS).evaluateAll((els) =>
    els.map((e) => ({
      index: Number(e.getAttribute('data-index')),
      level: Number(e.getAttribute('aria-level')),
      expanded: e.getAttribute('aria-expanded'),
      label: e.querySelector('.label-name')?.textContent?.trim() ?? '',
      description: e.querySelector('.label-description')?.textContent?.trim() ?? '',
    })),
  );
  return rows.sort((a, b) => a.index - b.index);
}
