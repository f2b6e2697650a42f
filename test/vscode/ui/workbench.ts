/**
 * What the UI tests share: a lab host (the one the tier brought up, from VIRTNET_TEST_HOST, or
 * their own), the VS Code server with VirtNet loaded and pointed at it, Chromium on the
 * workbench; everything stopped by pid afterwards, whatever happened.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Locator, Page } from 'playwright-core';
import { shJoin } from '../../../src/core/exec/quote';
import { labUp, type LabHost } from '../../lab/lab';
import { REPO_ROOT, ensureServerInstalled, launchBrowser, sleep, startServer, stopServer, workbenchUrl, type LaunchedBrowser, type VsServer } from '../server';
import type { Checks } from './checks';

export const OUT = path.join(REPO_ROOT, 'test-results/ui');

export interface WorkbenchOptions {
  /** Name and index of the lab host to bring up when the tier did not pass one. */
  lab: { name: string; index: number };
  settings?: Record<string, unknown>;
  viewport: { width: number; height: number };
  /**
   * Run the VS Code server ON a lab host of its own, started over SSH as Remote-SSH starts it,
   * with the browser connecting over the lab link: "this host" is then the lab host, and the
   * window's connection rides its network. `prepare` shapes the host first; no seed.
   */
  serverOnLab?: { prepare: (lab: LabHost) => Promise<void> };
}

export async function withLabWorkbench(
  checks: Checks,
  options: WorkbenchOptions,
  run: (page: Page, dest: string, lab: LabHost | undefined) => Promise<void>,
): Promise<void> {
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
    if (options.serverOnLab) {
      lab = await labUp(options.lab.name, options.lab.index, { libvirt: false });
      await options.serverOnLab.prepare(lab);
      ({ dest, sshConfig } = lab);
      server = await startServer({
        settings: { 'virtnet.hosts': [], ...options.settings },
        overSsh: { sshConfig, dest, address: lab.address },
      });
    } else {
      if (!dest || !sshConfig) {
        lab = await labUp(options.lab.name, options.lab.index);
        await lab.seed();
        ({ dest, sshConfig } = lab);
      }
      server = await startServer({ settings: { 'virtnet.hosts': [dest], 'virtnet.sshConfigFile': sshConfig, ...options.settings } });
    }
    browser = await launchBrowser();
    const page = await browser.browser.newPage({ viewport: options.viewport });
    await page.goto(workbenchUrl(server, { folder, extensionDevelopmentPath: REPO_ROOT }));
    await page.locator('.monaco-workbench .part.activitybar').waitFor({ state: 'visible', timeout: 60_000 });
    await run(page, dest, lab);
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

/** Polls the tree until a row matches `pred`. */
export async function waitRow(page: Page, pred: (r: Row) => boolean, timeoutMs: number, what: string): Promise<Row> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = (await visibleRows(page)).find(pred);
    if (found) return found;
    if (Date.now() > deadline) throw new Error(`not in the tree after ${timeoutMs / 1000} s: ${what}`);
    await sleep(250);
  }
}

/** Runs `item` from the context menu of `row`. */
export async function contextMenu(page: Page, row: Row, item: string): Promise<void> {
  await page.locator(`${ROWS}[data-index="${row.index}"]`).click({ button: 'right' });
  // VS Code's menus act on the highlighted item: hover it, then Enter.
  await page.getByRole('menuitem', { name: item }).hover({ timeout: 10_000 });
  await page.keyboard.press('Enter');
}

/** Runs a command from the command palette by its title. */
export async function runCommand(page: Page, title: string): Promise<void> {
  // Keys typed while a webview has focus go to its iframe: give the workbench the focus first.
  await page.locator('.part.statusbar').click({ position: { x: 600, y: 5 } });
  await page.keyboard.press('F1');
  const input = page.locator('.quick-input-widget input');
  await input.waitFor({ timeout: 10_000 }).catch(() => {
    throw new Error('F1 did not open the command palette');
  });
  await input.fill(`>${title}`);
  // Click the row with exactly this title: Enter takes the top row, which may be a recently used
  // command that also matches.
  const label = page.locator('.label-name').filter({ hasText: new RegExp(`^${title.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`) });
  const row = page.locator('.quick-input-list .monaco-list-row').filter({ has: label }).first();
  await row.waitFor({ timeout: 10_000 }).catch(() => {
    throw new Error(`the command palette does not offer "${title}"`);
  });
  await row.click();
}

/** Hovers `row`'s label until a tooltip matching `want` shows; its text, spaces folded. */
export async function hoverText(page: Page, row: Locator, want: RegExp): Promise<string> {
  await row.locator('.label-name').hover();
  const hover = page.locator('.workbench-hover-container, .monaco-hover').filter({ hasText: want }).first();
  await hover.waitFor({ state: 'visible', timeout: 10_000 }).catch(() => {
    throw new Error(`no tooltip matching ${want} appeared within 10 s of hovering`);
  });
  return (await hover.innerText()).replace(/\s+/g, ' ');
}

/** Runs argv on the lab host over the test's own SSH (the truth, not the extension's view). */
export async function hostRun(dest: string, argv: string[]): Promise<string> {
  const config = process.env.VIRTNET_TEST_SSH_CONFIG ?? path.join(REPO_ROOT, '.cache/lab/ssh_config');
  const r = spawnSync('ssh', ['-F', config, dest, '--', shJoin(argv)], { encoding: 'utf8', timeout: 30_000 });
  if (r.status !== 0) throw new Error(`${argv.join(' ')} on ${dest} failed: ${r.stderr}`);
  return r.stdout;
}

/** Waits until the form's `button` (Apply) is enabled, or disabled. */
export async function waitEnabled(button: Locator, enabled: boolean): Promise<void> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const disabled = (await button.getAttribute('disabled')) !== null;
    if (disabled !== enabled) return;
    if (Date.now() > deadline) throw new Error(`Apply is still ${disabled ? 'disabled' : 'enabled'}`);
    await sleep(200);
  }
}

/** Waits until the text of `loc` matches `want`. */
export async function waitText(loc: Locator, want: RegExp, timeoutMs = 15_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  for (;;) {
    last = await loc.innerText({ timeout: timeoutMs }).catch(() => '');
    if (want.test(last)) return last;
    if (Date.now() > deadline) throw new Error(`expected ${want}, saw ${JSON.stringify(last)}`);
    await sleep(200);
  }
}

/** Failure screenshots taken so far, per file prefix (names stay unique within a run). */
const shots = new Map<string, number>();

/**
 * One check of a UI test: passes, or fails with its first message line, a screenshot
 * (test-results/ui/<prefix>-<n>.png) and the rows the tree shows.
 */
export function checker(page: Page, checks: Checks, prefix: string): (name: string, body: () => Promise<void>) => Promise<void> {
  return async (name, body) => {
    try {
      await body();
      checks.ok(name);
    } catch (e) {
      const n = (shots.get(prefix) ?? 0) + 1;
      shots.set(prefix, n);
      const shot = path.join(OUT, `${prefix}-${n}.png`);
      await page.screenshot({ path: shot }).catch(() => {});
      const rows = await visibleRows(page).catch(() => []);
      const tree = rows.map((r) => `${'  '.repeat(r.level - 1)}${r.label} [${r.description}]`).join(' | ') || '(none)';
      checks.fail(name, `${(e as Error).message.split('\n')[0]}\n      screenshot: ${path.relative(REPO_ROOT, shot)}\n      tree rows: ${tree}`);
    }
  };
}
