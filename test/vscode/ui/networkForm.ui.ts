/**
 * Playwright UI test of the Create Network form in the real workbench (VS Code server 1.100.3 +
 * Debian's chromium) against a seeded lab host: "VirtNet: Create Network..." opens it; a missing
 * address is said live and a subnet the host already uses (virbr0's) comes back from the planner
 * in the preview, Apply disabled both times; a valid NAT network previews its XML exactly, Apply
 * creates it on the host (its dnsmasq serves the range) and the tree shows it with its subnet and,
 * in its tooltip, its range; the mode decides which fields show and which devices are offered.
 * Screenshot: test-results/ui/network-form.png.
 *
 *   VIRTNET_TEST_HOST=vnl-x VIRTNET_TEST_SSH_CONFIG=.cache/lab/ssh_config \
 *     node --import tsx test/vscode/ui/networkForm.ui.ts
 *
 * Without VIRTNET_TEST_HOST it brings up and seeds its own lab host (vsc-netform, index 47).
 * Prints one line per check and "N passed, N failed" last; exit 0 only when all passed.
 */
import path from 'node:path';
import type { Locator, Page } from 'playwright-core';
import { sleep } from '../server';
import { Checks } from './checks';
import { checker, hostRun, hoverText, OUT, ROWS, runCommand, waitRow, waitText, waitEnabled, withLabWorkbench } from './workbench';

const NET = 'uinet';
const SUBNET = '192.168.133.1/24';
const RANGE = ['192.168.133.50', '192.168.133.60'] as const;
const STATIC = '52:54:00:13:30:01,192.168.133.5,uihost';
/** The order the form lists the modes in (FORWARD_MODES). */
const MODES = ['nat', 'route', 'open', 'isolated', 'bridge', 'private', 'vepa', 'passthrough'];

const checks = new Checks();

async function main(): Promise<void> {
  await withLabWorkbench(
    checks,
    {
      lab: { name: 'vsc-netform', index: 47 },
      settings: { 'virtnet.showThisHost': false, 'workbench.hover.delay': 300 },
      viewport: { width: 1400, height: 1000 },
    },
    async (page, dest) => {
      try {
        await run(page, dest);
      } finally {
        await hostRun(dest, ['sh', '-c', `virsh net-destroy ${NET} 2>/dev/null; virsh net-undefine ${NET} 2>/dev/null; true`]).catch(() => '');
      }
    },
  );
}

async function run(page: Page, dest: string): Promise<void> {
  const cspViolations: string[] = [];
  page.on('console', (m) => {
    if (/Content Security Policy|Refused to (load|execute|apply|connect|create)/i.test(m.text())) cspViolations.push(m.text().slice(0, 300));
  });
  const check = checker(page, checks, 'network-form-failure');
  const form = page.frameLocator('iframe.webview.ready').frameLocator('iframe#active-frame');
  const apply = form.locator('#apply');

  await check(`the VirtNet view shows the lab host ${dest}, read`, async () => {
    await page.locator('.part.activitybar .action-item a[aria-label^="VirtNet"]').click({ timeout: 30_000 });
    await waitRow(page, (r) => r.level === 2 && r.label === 'Libvirt networks', 60_000, `${dest} with its groups`);
  });

  await check('"VirtNet: Create Network..." from the command palette opens the form on the lab host', async () => {
    await runCommand(page, 'VirtNet: Create Network...');
    await form.locator('#name').waitFor({ timeout: 30_000 });
    const host = await form.locator('#host').innerText();
    if (host !== dest) throw new Error(`the form is for "${host}", not ${dest}`);
    await waitText(form.locator('#bridgeName-hint'), /virbr1, the first free one/);
  });

  await check('a NAT network without an address is refused live, and Apply is disabled', async () => {
    await form.locator('#name input').fill(NET);
    await waitText(form.locator('#address-error'), /needs an address with its prefix/);
    await waitEnabled(apply, false);
  });

  await check("a subnet the host already uses (virbr0's) is refused by the planner in the preview", async () => {
    await form.locator('#address input').fill('192.168.122.9/24');
    await waitText(form.locator('#plan-problems'), /overlaps 192\.168\.122\.1\/24 of interface virbr0/);
    await waitEnabled(apply, false);
  });

  await check('a range outside the subnet is refused live', async () => {
    await form.locator('#address input').fill(SUBNET);
    await form.locator('#dhcpRanges textarea').fill('192.168.134.10-192.168.134.20');
    await waitText(form.locator('#dhcpRanges-error'), /is not inside 192\.168\.133\.1\/24/);
    await waitEnabled(apply, false);
  });

  await check('a valid NAT network previews its steps and its XML exactly; Apply is enabled', async () => {
    await form.locator('#dhcpRanges textarea').fill(RANGE.join('-'));
    await form.locator('#dhcpHosts textarea').fill(STATIC);
    const steps = await waitText(form.locator('#plan-steps'), /virsh net-define uinet/);
    for (const want of [
      `virsh net-define ${NET} (nat on virbr1 ${SUBNET})`,
      "<bridge name='virbr1' stp='on' delay='0'/>",
      `<range start='${RANGE[0]}' end='${RANGE[1]}'/>`,
      "<host mac='52:54:00:13:30:01' name='uihost' ip='192.168.133.5'/>",
      `net-start --network ${NET}`,
      `net-autostart --network ${NET}`,
    ])
      if (!steps.includes(want)) throw new Error(`the preview lacks "${want}": ${JSON.stringify(steps)}`);
    await waitEnabled(apply, true);
    await page.screenshot({ path: path.join(OUT, 'network-form.png') });
  });

  await check(`Apply creates ${NET} on the host: running, autostarted, its dnsmasq serving the range`, async () => {
    await apply.click();
    await waitText(form.locator('#result-message'), /applied on/, 90_000);
    const info = await hostRun(dest, ['virsh', 'net-info', NET]);
    if (!/Active:\s+yes/.test(info) || !/Autostart:\s+yes/.test(info)) throw new Error(`net-info: ${info}`);
    const conf = await hostRun(dest, ['cat', `/var/lib/libvirt/dnsmasq/${NET}.conf`]);
    if (!conf.includes(`dhcp-range=${RANGE[0]},${RANGE[1]}`)) throw new Error(`dnsmasq's configuration lacks the range: ${conf}`);
  });

  await check(`the tree shows ${NET} with its subnet, and its range in the tooltip`, async () => {
    const group = await waitRow(page, (r) => r.level === 2 && r.label === 'Libvirt networks', 15_000, 'Libvirt networks');
    if (group.expanded === 'false') await page.locator(`${ROWS}[data-index="${group.index}"] .monaco-tl-twistie`).click();
    const row = await waitRow(page, (r) => r.level === 3 && r.label === NET, 30_000, `${NET} under Libvirt networks`);
    if (!row.description.includes('nat') || !row.description.includes(SUBNET)) throw new Error(`description "${row.description}"`);
    const tip = await hoverText(page, page.locator(`${ROWS}[data-index="${row.index}"]`), /libvirt network uinet/);
    if (!tip.includes(`${RANGE[0]}–${RANGE[1]}`)) throw new Error(`the tooltip lacks the range: ${JSON.stringify(tip)}`);
    await page.mouse.move(1200, 800);
  });

  await check('the form starts afresh after Apply; an isolated network asks for no device', async () => {
    const name = await form.locator('#name input').inputValue();
    if (name !== '') throw new Error(`the name is still "${name}"`);
    await chooseMode(page, form, 'isolated');
    await waitHidden(form.locator('#dev-group'), true);
    if (await form.locator('#own-only').isHidden()) throw new Error('the address fields are hidden for an isolated network');
  });

  await check("a bridge network offers the host's bridges, not libvirt's own, and no address fields", async () => {
    await chooseMode(page, form, 'bridge');
    await waitHidden(form.locator('#own-only'), true);
    const devs = await form.locator('#dev vscode-option').evaluateAll((os) => os.map((o) => o.getAttribute('value') ?? ''));
    if (!devs.includes('br9') || devs.some((d) => d.startsWith('virbr'))) throw new Error(`devices offered: ${devs.join(', ')}`);
  });

  await check('no Content Security Policy violation was reported while the form ran', async () => {
    if (cspViolations.length) throw new Error(cspViolations.join(' | '));
  });
}

/** Picks `mode` in the form's forward-mode dropdown with the keyboard, as a user can. */
async function chooseMode(page: Page, form: ReturnType<Page['frameLocator']>, mode: string): Promise<void> {
  const select = form.locator('#forward');
  const current = await select.evaluate((el) => (el as HTMLElement & { value: string }).value);
  await select.click();
  const steps = MODES.indexOf(mode) - MODES.indexOf(current);
  for (let i = 0; i < Math.abs(steps); i++) await page.keyboard.press(steps > 0 ? 'ArrowDown' : 'ArrowUp');
  await page.keyboard.press('Enter');
  const deadline = Date.now() + 10_000;
  while ((await select.evaluate((el) => (el as HTMLElement & { value: string }).value)) !== mode) {
    if (Date.now() > deadline) throw new Error(`the forward mode did not become ${mode}`);
    await sleep(200);
  }
}

async function waitHidden(loc: Locator, hidden: boolean): Promise<void> {
  const deadline = Date.now() + 10_000;
  while ((await loc.isHidden()) !== hidden) {
    if (Date.now() > deadline) throw new Error(`still ${hidden ? 'shown' : 'hidden'}`);
    await sleep(200);
  }
}

checks.exitAfter(main);
