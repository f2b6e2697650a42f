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
import type { Page } from 'playwright-core';
import { sleep } from '../server';
import { Checks } from './checks';
import { checker, hostRun, OUT, ROWS, runCommand, visibleRows, waitRow, waitText, waitEnabled, withLabWorkbench } from './workbench';

const BRIDGE = 'brui';
const UPLINK_NIC = 'dmyup0';
const UPLINK_BRIDGE = 'brup';
const UPLINK_ADDR = '10.231.199.2/24';
const DHCP_NIC = 'dmydh0';
const DHCP_BRIDGE = 'brdh';
const DHCP_ADDR = '10.231.198.2/24';

const checks = new Checks();

async function main(): Promise<void> {
  await withLabWorkbench(
    checks,
    {
      lab: { name: 'vsc-form', index: 41 },
      settings: { 'virtnet.showThisHost': false, 'virtnet.persistence': 'runtime' },
      viewport: { width: 1400, height: 900 },
    },
    run,
  );
}

async function run(page: Page, dest: string): Promise<void> {
  // Every frame's console reaches the page: a CSP refusal in the webview shows up here.
  const cspViolations: string[] = [];
  page.on('console', (m) => {
    if (/Content Security Policy|Refused to (load|execute|apply|connect|create)/i.test(m.text())) cspViolations.push(m.text().slice(0, 300));
  });
  try {
    await runChecks(page, dest, cspViolations);
  } finally {
    await hostRun(dest, ['sh', '-c', `for l in ${UPLINK_BRIDGE} ${UPLINK_NIC} ${DHCP_BRIDGE} ${DHCP_NIC}; do ip link del $l 2>/dev/null; done; true`]).catch(
      () => '',
    );
  }
}

async function runChecks(page: Page, dest: string, cspViolations: string[]): Promise<void> {
  const check = checker(page, checks, 'form-failure');

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

  await check('"After a reboot" offers the host\'s own network manager; choosing it previews every file exactly', async () => {
    const persist = form.locator('#persist');
    await bridgeInput.fill(BRIDGE);
    await form.locator('#plan-steps').waitFor({ timeout: 15_000 });
    const hint = await form.locator('#persist-hint').innerText();
    if (/No network manager detected/.test(hint)) {
      // Nothing to save through: runtime only is the one choice, and the plan says so.
      await waitText(form.locator('#plan-warnings'), /runtime only/);
      return;
    }
    // The dropdown draws its own list: pick with the keyboard, as a user can.
    await persist.click();
    await page.keyboard.press('ArrowDown');
    await page.keyboard.press('Enter');
    const files = await waitText(form.locator('#plan-files'), new RegExp(`virtnet[^\\s]*${BRIDGE}`), 15_000);
    if (!/written exactly as/.test(files) || !/Written by VirtNet/.test(files)) throw new Error(`the files are not shown in full: ${JSON.stringify(files)}`);
    try {
      // Each write is a short step; its exact command is one click away.
      const steps = await form.locator('#plan-steps').innerText();
      if (!new RegExp(`write /etc/\\S*virtnet\\S*${BRIDGE}`).test(steps)) throw new Error(`no write step in the plan: ${JSON.stringify(steps)}`);
      if (!/Exact command/.test(steps)) throw new Error('the exact command is not one click away');
      await page.screenshot({ path: path.join(OUT, 'form-persist.png') });
    } finally {
      // Back to runtime only, whatever happened: the lab host shares this machine's /etc, so
      // nothing may be saved here.
      await persist.click();
      await page.keyboard.press('ArrowUp');
      await page.keyboard.press('Enter');
    }
    await waitText(form.locator('#plan-warnings'), /runtime only/);
    if (await form.locator('#plan-files').count()) throw new Error('files still listed after choosing runtime only');
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

  await check(`Bridge my uplink: ${UPLINK_NIC} (static) into ${UPLINK_BRIDGE} from the form; its address moves to the bridge`, async () => {
    await hostRun(dest, [
      'sh',
      '-c',
      `ip link add ${UPLINK_NIC} type veth peer name ${UPLINK_NIC}p && ip addr add ${UPLINK_ADDR} dev ${UPLINK_NIC} && ip link set ${UPLINK_NIC} up`,
    ]);
    // The refresh brings the new NIC into the form's lists.
    await page.locator('.part.sidebar .composite.title .title-actions a.action-label[aria-label^="Refresh"]').click({ timeout: 10_000 });
    await form.locator('#mode vscode-radio[value="uplink"]').click();
    await waitText(form.locator('#title'), /Bridge my uplink/);
    const nic = form.locator('#nic');
    const deadline = Date.now() + 30_000;
    // The NIC list arrives with the refresh; then pick it with the keyboard (first after the blank).
    while (!(await nic.locator('vscode-option', { hasText: UPLINK_NIC }).count())) {
      if (Date.now() > deadline) throw new Error(`${UPLINK_NIC} is not offered as an uplink`);
      await sleep(500);
    }
    const names = await nic.locator('vscode-option').evaluateAll((os) => os.map((o) => o.getAttribute('value') ?? ''));
    await nic.click();
    for (let i = 0; i < names.indexOf(UPLINK_NIC); i++) await page.keyboard.press('ArrowDown');
    await page.keyboard.press('Enter');
    await bridgeInput.fill(UPLINK_BRIDGE);
    await form.locator('#addressing vscode-radio[value="static"]').click();
    await form.locator('#address input').fill('10.231.199.300/24');
    await waitText(form.locator('#address-error'), /10\.231\.199\.300/);
    await waitEnabled(apply, false);
    await form.locator('#address input').fill(UPLINK_ADDR);
    const steps = await waitText(form.locator('#plan-steps'), new RegExp(`ip addr del ${UPLINK_ADDR.replace(/[./]/g, '\\$&')} dev ${UPLINK_NIC}`), 15_000);
    for (const want of [`master ${UPLINK_BRIDGE}`, `dev ${UPLINK_BRIDGE}`]) {
      if (!steps.includes(want)) throw new Error(`the uplink plan lacks "${want}": ${JSON.stringify(steps)}`);
    }
    await page.screenshot({ path: path.join(OUT, 'form-uplink.png') });
    await waitEnabled(apply, true);
    await apply.click();
    await waitText(form.locator('#result-message'), /applied on/, 60_000);
    const addr = await hostRun(dest, ['ip', '-br', 'addr', 'show', 'dev', UPLINK_BRIDGE]);
    const master = await hostRun(dest, ['ip', '-o', 'link', 'show', 'dev', UPLINK_NIC]);
    if (!addr.includes(UPLINK_ADDR)) throw new Error(`${UPLINK_BRIDGE} lacks ${UPLINK_ADDR}: ${addr}`);
    if (!master.includes(`master ${UPLINK_BRIDGE}`)) throw new Error(`${UPLINK_NIC} is not a port of ${UPLINK_BRIDGE}: ${master}`);
  });

  await check(`Cancel while a DHCP uplink waits for a server that never answers: stopped, undone, said so`, async () => {
    // A second NIC with nobody on its link: the DHCP step waits (bounded) for an offer that never
    // comes, long enough to press Cancel in the form.
    await hostRun(dest, [
      'sh',
      '-c',
      `ip link add ${DHCP_NIC} type veth peer name ${DHCP_NIC}p && ip addr add ${DHCP_ADDR} dev ${DHCP_NIC} && ip link set ${DHCP_NIC} up && ip link set ${DHCP_NIC}p up`,
    ]);
    const before = await hostRun(dest, ['sh', '-c', 'ip -br addr; ip route']);
    await page.locator('.part.sidebar .composite.title .title-actions a.action-label[aria-label^="Refresh"]').click({ timeout: 10_000 });
    const nic = form.locator('#nic');
    const deadline = Date.now() + 30_000;
    while (!(await nic.locator('vscode-option', { hasText: DHCP_NIC }).count())) {
      if (Date.now() > deadline) throw new Error(`${DHCP_NIC} is not offered as an uplink`);
      await sleep(500);
    }
    const names = await nic.locator('vscode-option').evaluateAll((os) => os.map((o) => o.getAttribute('value') ?? ''));
    const current = await nic.evaluate((el) => (el as HTMLElement & { value: string }).value);
    await nic.click();
    const steps = names.indexOf(DHCP_NIC) - names.indexOf(current);
    for (let i = 0; i < Math.abs(steps); i++) await page.keyboard.press(steps > 0 ? 'ArrowDown' : 'ArrowUp');
    await page.keyboard.press('Enter');
    await bridgeInput.fill(DHCP_BRIDGE);
    await form.locator('#addressing vscode-radio[value="dhcp"]').click();
    await waitText(form.locator('#plan-steps'), new RegExp(`dhclient .* ${DHCP_BRIDGE}`), 15_000);
    await waitEnabled(apply, true);
    await apply.click();
    const cancel = form.locator('#cancel');
    await cancel.waitFor({ state: 'visible', timeout: 15_000 });
    await sleep(1_500); // into the DHCP wait
    await cancel.click();
    const message = await waitText(form.locator('#result-message'), /cancelled/, 90_000);
    if (!/cancelled at step \d+ of \d+; .* undid the \d+ steps? it had done/.test(message)) throw new Error(`unexpected result: ${message}`);
    await page.screenshot({ path: path.join(OUT, 'form-cancelled.png') });
    const after = await hostRun(dest, ['sh', '-c', 'ip -br addr; ip route']);
    if (after !== before) throw new Error(`the host changed:\nbefore ${JSON.stringify(before)}\nafter  ${JSON.stringify(after)}`);
    const clients = await hostRun(dest, ['sh', '-c', `pgrep -af "dhclien[t].*${DHCP_BRIDGE}" || true`]);
    if (clients.trim()) throw new Error(`a DHCP client is left: ${clients}`);
    await form.locator('#mode vscode-radio[value="create"]').click();
  });

  await check('no Content Security Policy violation was reported while the form ran', async () => {
    if (cspViolations.length) throw new Error(cspViolations.join(' | '));
  });

  // Before the theme switches: those write user settings, and a reload racing that write has
  // been seen to come back without them.
  await checkReloadDuringApply(page, dest, check);
  await checkRestore(page, check);

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

const RELOAD_TAP = 'vnetrl';

/**
 * A window reload while a plan runs (what a crashed or reloaded window does to its connection):
 * the plan ends on the host by itself, and the reloaded window says how it ended. The lab host's
 * `ip link set` is slowed (a wrapper bound in its own mount namespace) so the plan outlives the
 * window.
 */
async function checkReloadDuringApply(page: Page, dest: string, check: (name: string, body: () => Promise<void>) => Promise<void>): Promise<void> {
  await check('a reload during an apply: the plan ends on the host, and the reloaded window says how it ended', async () => {
    await hostRun(dest, [
      'sh',
      '-c',
      'cp /usr/bin/ip /tmp/virtnet-ui-ip.real && printf \'#!/bin/sh\\n[ "$1 $2" = "link set" ] && sleep 15\\nexec /tmp/virtnet-ui-ip.real "$@"\\n\' > /tmp/virtnet-ui-ip && chmod +x /tmp/virtnet-ui-ip && mount --bind /tmp/virtnet-ui-ip /usr/bin/ip',
    ]);
    try {
      const before = (await hostRun(dest, ['sh', '-c', 'ls /run/virtnet/journal 2>/dev/null || true'])).split('\n').filter(Boolean);
      await runCommand(page, 'VirtNet: Create Tap...');
      const input = page.locator('.quick-input-widget input');
      await input.waitFor({ timeout: 10_000 });
      await input.fill(RELOAD_TAP);
      await page.keyboard.press('Enter');
      // The bridge picker: none.
      await page.locator('.quick-input-list .monaco-list-row', { hasText: '(no bridge)' }).first().click({ timeout: 10_000 });
      const dialog = page.locator('.monaco-dialog-box');
      await dialog.waitFor({ timeout: 15_000 });
      await dialog.locator('.monaco-button', { hasText: /^Apply$/ }).click();
      // Reload once the host runs the slow step.
      let journal = '';
      for (let i = 0; i < 100 && !journal; i++) {
        const fresh = (await hostRun(dest, ['sh', '-c', 'ls /run/virtnet/journal 2>/dev/null || true'])).split('\n').filter((j) => j && !before.includes(j));
        if (fresh[0] && /step 2 of 2/.test(await hostRun(dest, ['sh', '-c', `cat /run/virtnet/journal/${fresh[0]}/out`]))) journal = fresh[0];
        else await sleep(200);
      }
      if (!journal) throw new Error('the plan never reached its slow step');
      await page.reload();
      await page.locator('.monaco-workbench .part.activitybar').waitFor({ state: 'visible', timeout: 60_000 });
      await page
        .locator('.part.activitybar .action-item a[aria-label^="VirtNet"]')
        .click({ timeout: 30_000 })
        .catch(() => {});
      await waitText(
        page.locator('.notifications-toasts'),
        new RegExp(`Create tap ${RELOAD_TAP}, started \\d\\d:\\d\\d UTC from [\\d.]+: ran to its end`),
        90_000,
      );
      await page.screenshot({ path: path.join(OUT, 'form-reload-outcome.png') });
      const link = await hostRun(dest, ['sh', '-c', `ip -o link show dev ${RELOAD_TAP}`]);
      if (!/state|UP/.test(link)) throw new Error(`${RELOAD_TAP} is not on the host: ${link}`);
    } finally {
      await hostRun(dest, ['sh', '-c', `umount /usr/bin/ip; ip link del dev ${RELOAD_TAP} 2>/dev/null; true`]).catch(() => '');
    }
  });
}

/** Runs after the other checks: a reload replaces the page (and the webview in it). */
async function checkRestore(page: Page, check: (name: string, body: () => Promise<void>) => Promise<void>): Promise<void> {
  const form = page.frameLocator('iframe.webview.ready').frameLocator('iframe#active-frame');
  await check('after a window reload the form comes back on the same host with the draft as typed', async () => {
    await form.locator('#bridge input').fill('brkeep');
    await waitText(form.locator('#plan-steps'), /ip link add name brkeep/);
    // The workbench stores webview state with its editor state, not at once on every setState.
    await sleep(5_000);
    await page.reload();
    await page.locator('.monaco-workbench .part.activitybar').waitFor({ state: 'visible', timeout: 60_000 });
    await form.locator('#bridge').waitFor({ timeout: 60_000 });
    const value = await form.locator('#bridge input').inputValue({ timeout: 10_000 });
    if (value !== 'brkeep') throw new Error(`the restored form has "${value}", not the draft "brkeep"`);
    await waitText(form.locator('#plan-steps'), /ip link add name brkeep/, 60_000);
  });
}

/** Picks `theme` in the color theme picker that "Preferences: Color Theme" opened. */
async function pickTheme(page: Page, theme: string): Promise<void> {
  const rows = page.locator('.quick-input-list .monaco-list-row');
  // The picker replaces the palette's list: wait for a theme to show before filtering.
  await rows
    .filter({ hasText: /Modern/ })
    .first()
    .waitFor({ timeout: 10_000 })
    .catch(() => {
      throw new Error('the color theme picker did not open');
    });
  await page.locator('.quick-input-widget input').fill(theme);
  await rows
    .filter({ hasText: theme })
    .first()
    .waitFor({ timeout: 10_000 })
    .catch(() => {
      throw new Error(`the theme picker does not offer "${theme}"`);
    });
  await page.keyboard.press('Enter');
}

async function expandBridges(page: Page): Promise<void> {
  const row = await waitRow(page, (r) => r.level === 2 && r.label === 'Bridges', 15_000, 'Bridges');
  if (row.expanded === 'false') await page.locator(`${ROWS}[data-index="${row.index}"] .monaco-tl-twistie`).click();
}

checks.exitAfter(main);
