/**
 * Playwright UI test of the bridge form in the real workbench (VS Code server 1.100.3 + Debian's
 * chromium): "VirtNet: Create Bridge..." from the command palette opens the form on the lab host;
 * typing a name shows the live plan; a 16-byte name is refused live and Apply is disabled; Apply
 * creates the bridge, the form shows the result and the tree shows the bridge; Delete Bridge from
 * the tree's context menu (its modal answered with Apply) takes it away again. The form is then
 * shot in the light, dark and high-contrast themes: test-results/ui/form*.png.
 *
 *   VIRTNET_TEST_HOST=vnl-x VIRTNET_TEST_SSH_CONFIG=.cache/lab/ssh_config \
 *     node --import tsx test/vscode/ui/form.ui.ts
 *
 * Without VIRTNET_TEST_HOST it brings up and seeds its own lab host (vsc-form, index 41).
 * Prints one line per check and "N passed, N failed" last; exit 0 only when all passed.
 */
import path from 'node:path';
import type { Locator, Page } from 'playwright-core';
import { REPO_ROOT, sleep } from '../server';
import { Checks } from './checks';
import { OUT, ROWS, runCommand, visibleRows, waitRow, waitText, withLabWorkbench } from './workbench';

const BRIDGE = 'brui';

const checks = new Checks();
let shots = 0;

async function main(): Promise<void> {
  await withLabWorkbench(checks, { lab: { name: 'vsc-form', index: 41 }, settings: { 'virtnet.showThisHost': false }, viewport: { width: 1400, height: 900 } }, run);
}

async function run(page: Page, dest: string): Promise<void> {
  const check = async (name: string, body: () => Promise<void>) => {
    try {
      await body();
      checks.ok(name);
    } catch (e) {
      const shot = path.join(OUT, `form-failure-${++shots}.png`);
      await page.screenshot({ path: shot }).catch(() => {});
      checks.fail(name, `${(e as Error).message.split('\n')[0]}\n      screenshot: ${path.relative(REPO_ROOT, shot)}`);
    }
  };

  await check(`the VirtNet view shows the lab host ${dest}, read`, async () => {
    await page.locator('.part.activitybar .action-item a[aria-label^="VirtNet"]').click({ timeout: 30_000 });
    await waitRow(page, (r) => r.level === 2 && r.label === 'Bridges', 60_000, `${dest} with its groups`);
  });

  const form = page.frameLocator('iframe.webview.ready').frameLocator('iframe#active-frame');

  await check('"VirtNet: Create Bridge..." from the command palette opens the form on the lab host', async () => {
    await runCommand(page, 'VirtNet: Create Bridge...');
    await form.locator('#bridge').waitFor({ timeout: 30_000 });
    const host = await form.locator('#host').innerText();
    if (host !== dest) throw new Error(`the form is for "${host}", not ${dest}`);
    const title = await form.locator('#title').innerText();
    if (title !== 'Create a bridge') throw new Error(`title "${title}"`);
  });

  const bridgeInput = form.locator('#bridge input');
  const apply = form.locator('#apply');

  await check('typing a bridge name shows the live plan (ip link add ... type bridge, its undo)', async () => {
    await bridgeInput.fill(BRIDGE);
    const steps = form.locator('#plan-steps');
    await steps.waitFor({ timeout: 15_000 });
    const text = await steps.innerText();
    for (const want of [`$ ip link add name ${BRIDGE} type bridge stp_state 0`, `undo: ip link del dev ${BRIDGE}`, `$ ip link set dev ${BRIDGE} up`]) {
      if (!text.includes(want)) throw new Error(`the preview lacks "${want}": ${JSON.stringify(text)}`);
    }
    await waitEnabled(apply, true);
  });

  await check('STP on shows in the plan live (stp_state 1)', async () => {
    await form.locator('#stp').click();
    await waitText(form.locator('#plan-steps'), /stp_state 1/);
    await form.locator('#stp').click();
    await waitText(form.locator('#plan-steps'), /stp_state 0/);
  });

  await check('a 16-byte name is refused live, and Apply is disabled', async () => {
    await bridgeInput.fill('a-name-of-16byte');
    await waitText(form.locator('#bridge-error'), /16 bytes long; Linux allows at most 15/);
    await waitEnabled(apply, false);
    await page.screenshot({ path: path.join(OUT, 'form-invalid.png') });
  });

  await check('a name the host already has (br9) is refused live', async () => {
    await bridgeInput.fill('br9');
    await waitText(form.locator('#bridge-error'), /already exists/);
    await waitEnabled(apply, false);
  });

  await check(`Apply creates ${BRIDGE}: the form shows the result`, async () => {
    await bridgeInput.fill(BRIDGE);
    await waitEnabled(apply, true);
    await apply.click();
    await waitText(form.locator('#result-message'), /applied on/, 60_000);
  });

  await check(`the tree shows ${BRIDGE} under Bridges`, async () => {
    await expandBridges(page);
    await waitRow(page, (r) => r.level === 3 && r.label === BRIDGE, 30_000, `${BRIDGE} under Bridges`);
    await page.screenshot({ path: path.join(OUT, 'form.png') });
  });

  await check(`Delete Bridge from ${BRIDGE}'s context menu, answered Apply, takes it away`, async () => {
    const row = await waitRow(page, (r) => r.level === 3 && r.label === BRIDGE, 15_000, BRIDGE);
    await page.locator(`${ROWS}[data-index="${row.index}"]`).click({ button: 'right' });
    // VS Code's menus act on the highlighted item: hover it, then Enter.
    await page.getByRole('menuitem', { name: 'Delete Bridge' }).hover({ timeout: 10_000 });
    await page.keyboard.press('Enter');
    const dialog = page.locator('.monaco-dialog-box');
    await dialog.waitFor({ timeout: 10_000 });
    const detail = await dialog.innerText();
    if (!detail.includes(`$ ip link del dev ${BRIDGE}`)) throw new Error(`the modal does not list the command: ${JSON.stringify(detail)}`);
    await page.screenshot({ path: path.join(OUT, 'delete-modal.png') });
    await dialog.locator('.monaco-button', { hasText: /^Apply$/ }).click();
    const deadline = Date.now() + 60_000;
    while ((await visibleRows(page)).some((r) => r.label === BRIDGE)) {
      if (Date.now() > deadline) throw new Error(`${BRIDGE} still in the tree 60 s after Delete`);
      await sleep(500);
    }
  });

  // The form in each kind of theme, switched by commands without pickers: the workbench starts
  // light here (headless chromium prefers light). The shots are looked at; the checks see the
  // form's background follow the theme.
  const seen: string[] = [];
  for (const [theme, command, file, dark] of [
    ['light', null, 'form-light.png', false],
    ['dark', 'Preferences: Toggle between Light/Dark Themes', 'form-dark.png', true],
    ['high contrast', 'Preferences: Color Theme', 'form-hc.png', true],
  ] as const) {
    await check(`the form follows the ${theme} theme`, async () => {
      if (command) await runCommand(page, command);
      if (theme === 'high contrast') await pickTheme(page, 'Dark High Contrast');
      await sleep(1_000);
      // A valid draft, so the shot shows a preview.
      await bridgeInput.fill('br20');
      await form.locator('#plan-steps').waitFor({ timeout: 15_000 });
      const bg = await form.locator('body').evaluate((b) => getComputedStyle(b).backgroundColor);
      const rgb = (bg.match(/\d+/g) ?? []).slice(0, 3).map(Number);
      const isDark = rgb.reduce((a, b) => a + b, 0) < 384;
      if (isDark !== dark || seen.includes(bg)) throw new Error(`background ${bg} after switching to ${theme} (before: ${seen.join(', ')})`);
      seen.push(bg);
      await page.screenshot({ path: path.join(OUT, file) });
    });
  }
}

/** Picks `theme` in the color theme picker that "Preferences: Color Theme" opened. */
async function pickTheme(page: Page, theme: string): Promise<void> {
  const rows = page.locator('.quick-input-list .monaco-list-row');
  // The picker replaces the palette's list: wait for a theme to show before filtering.
  await rows.filter({ hasText: /Modern/ }).first().waitFor({ timeout: 10_000 }).catch(() => {
    throw new Error('the color theme picker did not open');
  });
  await page.locator('.quick-input-widget input').fill(theme);
  await rows.filter({ hasText: theme }).first().waitFor({ timeout: 10_000 }).catch(() => {
    throw new Error(`the theme picker does not offer "${theme}"`);
  });
  await page.keyboard.press('Enter');
}

async function waitEnabled(button: Locator, enabled: boolean): Promise<void> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const disabled = (await button.getAttribute('disabled')) !== null;
    if (disabled !== enabled) return;
    if (Date.now() > deadline) throw new Error(`Apply is still ${disabled ? 'disabled' : 'enabled'}`);
    await sleep(200);
  }
}



async function expandBridges(page: Page): Promise<void> {
  const row = await waitRow(page, (r) => r.level === 2 && r.label === 'Bridges', 15_000, 'Bridges');
  if (row.expanded === 'false') await page.locator(`${ROWS}[data-index="${row.index}"] .monaco-tl-twistie`).click();
}

checks.exitAfter(main);
