/**
 * Playwright UI test of the connectivity guard for "this host" under a remote window. The VS
 * Code server runs ON a lab host (started over SSH, as Remote-SSH starts it, so it carries the
 * login's SSH_CONNECTION) and Chromium reaches it over the lab link, which runs through br9. So
 * the window's own connection rides br9, and:
 *   - Add Address on br9 is on that path: the modal offers the guard; the window answers the
 *     round trip; the change is kept and the rollback disarmed;
 *   - Remove Address (all of them) on br9 cuts the window off: the round trip fails, the host
 *     rolls itself back after virtnet.rollbackSeconds, the window reconnects and says so, and
 *     the host has its addresses and default route again, with no guard file or timer left.
 *
 *   node --import tsx test/vscode/ui/guard.ui.ts      (brings up lab host vsc-guard, index 42)
 */
import path from 'node:path';
import type { Page } from 'playwright-core';
import { guardLeftovers, type LabHost } from '../../lab/lab';
import { sleep } from '../server';
import { Checks } from './checks';
import { checker, contextMenu, OUT, type Row, visibleRows, waitRow, waitText, withLabWorkbench } from './workbench';

const EXTRA = '10.231.142.1/24';
const ROLLBACK_S = 20;

const checks = new Checks();

/** br9 holding enp3s1, with the host's address and default route moved onto it (as seed.sh). */
async function prepare(lab: LabHost): Promise<void> {
  const peer = lab.address.replace(/\.2$/, '.1');
  const r = await lab.exec([
    'sh',
    '-c',
    'set -e; mac=$(cat /sys/class/net/enp3s1/address); ip -batch - <<EOF\nlink add br9 address $mac type bridge\nlink set enp3s1 master br9\nlink set br9 up\naddress del $1/24 dev enp3s1\naddress add $1/24 dev br9\nroute replace default via $2 dev br9\nEOF',
    'prepare',
    lab.address,
    peer,
  ]);
  if (r.code !== 0) throw new Error(`preparing br9 failed: ${r.stderr}`);
}

/** What the checks compare: addresses, routes, and any guard leftovers (files, timer). */
async function hostState(lab: LabHost): Promise<{ addr: string; routes: string; leftovers: string }> {
  const run = async (argv: string[]) => (await lab.exec(argv)).stdout.trim();
  return {
    addr: await run(['ip', '-br', 'addr', 'show', 'dev', 'br9']),
    routes: await run(['ip', 'route']),
    leftovers: await guardLeftovers(lab),
  };
}

async function main(): Promise<void> {
  await withLabWorkbench(
    checks,
    {
      lab: { name: 'vsc-guard', index: 42 },
      // Runtime only: lab hosts share this machine's /etc.
      settings: { 'virtnet.rollbackSeconds': ROLLBACK_S, 'virtnet.persistence': 'runtime' },
      viewport: { width: 1280, height: 800 },
      serverOnLab: { prepare },
    },
    (page, _dest, lab) => run(page, lab!),
  );
}

async function run(page: Page, lab: LabHost): Promise<void> {
  const check = checker(page, checks, 'guard-failure');

  const before = await hostState(lab);
  const br9 = () => waitRow(page, (r) => r.level === 3 && r.label === 'br9', 15_000, 'br9 under Bridges');
  const dialog = page.locator('.monaco-dialog-box');
  const toasts = page.locator('.notifications-toasts');

  await check('this host is the lab host, read over no SSH at all, and shows br9 with its address', async () => {
    const entry = page.locator('.part.activitybar .action-item a[aria-label^="VirtNet"]');
    await entry.waitFor({ timeout: 30_000 });
    await entry.click();
    const host = await waitRow(page, (r) => r.level === 1 && /this host/.test(r.description) && !/reading/.test(r.description), 60_000, 'this host, read');
    if (!/VS Code server|Remote-SSH/.test(host.description)) throw new Error(`this host is not remote: "${host.description}"`);
    const bridges = await waitRow(page, (r) => r.level === 2 && r.label === 'Bridges', 15_000, 'Bridges');
    if (bridges.expanded === 'false') await page.locator(`.monaco-list-row[data-index="${bridges.index}"] .monaco-tl-twistie`).first().click();
    const row = await br9();
    if (!row.description.includes(lab.address)) throw new Error(`br9 does not show ${lab.address}: "${row.description}"`);
  });

  await check(`Add Address ${EXTRA} on br9 is guarded by the window, confirmed and kept`, async () => {
    await contextMenu(page, await br9(), 'Add Address to Bridge...');
    const input = page.locator('.quick-input-widget input');
    await input.waitFor({ timeout: 10_000 });
    await input.fill(EXTRA);
    await page.keyboard.press('Enter');
    await dialog.waitFor({ timeout: 15_000 });
    const text = await dialog.innerText();
    if (!/your VS Code window/.test(text)) throw new Error(`the modal does not explain the window guard: ${JSON.stringify(text)}`);
    await page.screenshot({ path: path.join(OUT, 'guard-modal.png') });
    await dialog.locator('.monaco-button', { hasText: /^Apply with rollback guard$/ }).click();
    await waitText(toasts, /your VS Code window got through .* the rollback is disarmed/, 60_000);
    const now = await hostState(lab);
    if (!now.addr.includes(EXTRA)) throw new Error(`br9 lacks ${EXTRA}: ${now.addr}`);
    if (now.leftovers) throw new Error(`guard leftovers: ${now.leftovers}`);
  });

  await check('Remove Address (all) on br9 cuts the window off; the host rolls back; the window says so', async () => {
    // Close the earlier toasts, so the wait below reads the new outcome only.
    await page.keyboard.press('Escape');
    await contextMenu(page, await br9(), 'Remove Address from Bridge...');
    // Tick every address in the multi-select pick, then accept it. A click that lands while the
    // list is still being laid out can be lost (seen once in CI: "1 Selected"), so tick again
    // until the pick says both are selected.
    const items = page.locator('.quick-input-list .monaco-list-row');
    await items.first().waitFor({ timeout: 10_000 });
    const widget = page.locator('.quick-input-widget');
    for (let attempt = 0; ; attempt++) {
      for (let i = 0; i < (await items.count()); i++) {
        const row = items.nth(i);
        if ((await row.getAttribute('aria-checked')) !== 'true') await row.click();
      }
      const ok = await waitText(widget, /2 Selected/, 1_500).then(
        () => true,
        () => false,
      );
      if (ok) break;
      if (attempt >= 4) await waitText(widget, /2 Selected/, 1);
    }
    await page.keyboard.press('Enter');
    await dialog.waitFor({ timeout: 15_000 });
    const text = await dialog.innerText();
    if (!/Addresses of br9: remove .*10\.231\.142\.1\/24/.test(text) || !/ip route del default via/.test(text))
      throw new Error(`unexpected plan: ${JSON.stringify(text)}`);
    const started = Date.now();
    await dialog.locator('.monaco-button', { hasText: /^Apply with rollback guard$/ }).click();
    // The host rolls back at ROLLBACK_S; the window needs some more to reconnect.
    await waitText(toasts, /cut the connection to .* rolled itself back/, (ROLLBACK_S + 150) * 1000);
    const took = Math.round((Date.now() - started) / 1000);
    await page.screenshot({ path: path.join(OUT, 'guard-rolled-back.png') });
    if (took < ROLLBACK_S) throw new Error(`reported a rollback after ${took} s, before the host's ${ROLLBACK_S} s`);
  });

  await check('after the rollback the host is as before the removal: both addresses, the same routes, nothing left over', async () => {
    const now = await hostState(lab);
    for (const a of [lab.address, EXTRA]) if (!now.addr.includes(a)) throw new Error(`br9 lacks ${a}: ${now.addr}`);
    const sorted = (t: string) =>
      t
        .split('\n')
        .map((l) => l.trim())
        .filter((l) => !l.includes('10.231.142.'))
        .sort()
        .join('\n');
    if (sorted(now.routes) !== sorted(before.routes))
      throw new Error(`routes differ: before ${JSON.stringify(before.routes)}, now ${JSON.stringify(now.routes)}`);
    if (now.leftovers) throw new Error(`guard leftovers: ${now.leftovers}`);
  });

  await check('the tree reads this host again after the reconnect', async () => {
    const deadline = Date.now() + 60_000;
    let rows: Row[] = [];
    while (Date.now() < deadline) {
      rows = await visibleRows(page);
      const br = rows.find((r) => r.level === 3 && r.label === 'br9');
      // Both addresses again (the first one shown, "+1" for the other; their order may change).
      if (br && /\+1\b/.test(br.description) && (br.description.includes(lab.address) || br.description.includes(EXTRA))) return;
      await sleep(1_000);
    }
    throw new Error(`br9 with both addresses not in the tree: ${rows.map((r) => `${r.label} [${r.description}]`).join(' | ')}`);
  });
}

checks.exitAfter(main);
