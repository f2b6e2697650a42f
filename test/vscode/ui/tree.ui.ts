/**
 * Playwright UI test of the VirtNet tree in the real workbench (VS Code server 1.100.3 + Debian's
 * chromium): the VirtNet activity-bar entry opens the view; the seeded lab host shows br9, the
 * network default with c7's lease, and VM c7; hovering c7 shows its tooltip; Refresh in the view
 * title re-reads the host and leaves the expanded tree in place. Screenshots: test-results/ui/.
 *
 *   VIRTNET_TEST_HOST=vnl-x VIRTNET_TEST_SSH_CONFIG=.cache/lab/ssh_config \
 *     node --import tsx test/vscode/ui/tree.ui.ts
 *
 * Without VIRTNET_TEST_HOST it brings up and seeds its own lab host (vsc-uiself, index 33).
 * Prints one line per check and "N passed, N failed" last; exit 0 only when all passed.
 * --readme-shot also copies the tree screenshot to media/screenshot-tree.png.
 */
import { copyFileSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import type { Locator, Page } from 'playwright-core';
import { REPO_ROOT, sleep } from '../server';
import { Checks } from './checks';
import { checker, hoverText, OUT, type Row, ROWS, VIEW, visibleRows, withLabWorkbench } from './workbench';

const README_SHOT = path.join(REPO_ROOT, 'media/screenshot-tree.png');
const LEASE_IP = /^192\.168\.122\.\d{1,3}$/;

const checks = new Checks();

async function main(): Promise<void> {
  mkdirSync(OUT, { recursive: true });
  // Failure screenshots of an earlier run would read as this run's.
  for (const f of readdirSync(OUT)) if (/^failure-\d+\.png$/.test(f)) rmSync(path.join(OUT, f));
  await withLabWorkbench(
    checks,
    // Tooltips open sooner than the default, so each hover check waits less.
    { lab: { name: 'vsc-uiself', index: 33 }, settings: { 'workbench.hover.delay': 300 }, viewport: { width: 1280, height: 800 } },
    run,
  );
}

async function run(page: Page, dest: string): Promise<void> {
  const check = checker(page, checks, 'failure');

  await check('the VirtNet activity bar entry opens the Hosts view', async () => {
    // The entry appears once the workbench has registered the extension's contributions.
    const entry = page.locator('.part.activitybar .action-item a[aria-label^="VirtNet"]');
    await entry.waitFor({ timeout: 30_000 });
    await entry.click();
    await page.locator(`${VIEW} [role="tree"][aria-label="Hosts"]`).waitFor({ timeout: 15_000 });
  });

  // Descriptions are long: a wider side bar keeps them readable in the screenshots.
  await widenSideBar(page, 600);

  await check(`the lab host ${dest} is listed, expanded, and read (its groups show)`, async () => {
    const host = await waitRow(
      page,
      (rows) => {
        const h = rows.find((r) => r.level === 1 && r.label === dest);
        if (!h) return undefined;
        if (/unreachable|failed/.test(h.description)) throw new Error(`${dest} failed: ${h.description}`);
        const groups = under(rows, h)
          .filter((r) => r.level === 2)
          .map((r) => r.label);
        return groups.includes('Bridges') && !/refreshing/.test(h.description) ? h : undefined;
      },
      60_000,
      `host ${dest} with its groups`,
    );
    if (host.expanded !== 'true') throw new Error(`${dest} is not expanded (aria-expanded=${host.expanded})`);
  });

  // This host's groups would only push the lab host's down: fold it (the test does not need it).
  const rows0 = await visibleRows(page);
  const thisHost = rows0.find((r) => r.level === 1 && r.label !== dest && r.expanded === 'true');
  if (thisHost) await rowLocator(page, thisHost).locator('.monaco-tl-twistie').click();

  await check('Bridges of the lab host shows br9, and br9 its port enp3s1', async () => {
    await expand(page, dest, ['Bridges']);
    await waitChild(page, dest, (r) => r.level === 3 && r.label === 'br9', 'br9 under Bridges');
    await expand(page, dest, ['Bridges', 'br9']);
    await waitChild(page, dest, (r) => r.level === 4 && r.label === 'enp3s1', 'port enp3s1 under br9');
  });

  await check("Libvirt networks shows default, and default shows c7's lease 192.168.122.x", async () => {
    await expand(page, dest, ['Libvirt networks']);
    await waitChild(page, dest, (r) => r.level === 3 && r.label === 'default', 'network default');
    await expand(page, dest, ['Libvirt networks', 'default']);
    const lease = await waitChild(page, dest, (r) => r.level === 4 && LEASE_IP.test(r.label), 'a lease 192.168.122.x under default');
    if (!/VM c7/.test(lease.description)) throw new Error(`lease ${lease.label} is not c7's: "${lease.description}"`);
  });

  await check("Virtual machines shows c7 running, and c7's NIC has its 192.168.122.x address", async () => {
    await expand(page, dest, ['Virtual machines']);
    const c7 = await waitChild(page, dest, (r) => r.level === 3 && r.label === 'c7', 'VM c7');
    if (!/running/.test(c7.description)) throw new Error(`c7 is not running: "${c7.description}"`);
    await expand(page, dest, ['Virtual machines', 'c7']);
    await waitChild(
      page,
      dest,
      (r) => r.level === 4 && /^network default$/.test(r.label) && /192\.168\.122\.\d+/.test(r.description),
      "c7's NIC on default with an IP",
    );
  });

  await check('hovering c7 shows its tooltip (VM c7, state running, QEMU TCG)', async () => {
    const c7 = await waitChild(page, dest, (r) => r.level === 3 && r.label === 'c7', 'VM c7');
    const text = await hoverText(page, rowLocator(page, c7), /VM c7/);
    for (const want of ['state', 'running', 'QEMU TCG']) {
      if (!text.includes(want)) throw new Error(`tooltip lacks "${want}": ${JSON.stringify(text)}`);
    }
    await page.screenshot({ path: path.join(OUT, 'tooltip-c7.png') });
    await page.mouse.move(900, 600); // away from the tree, so the hover closes
    await page
      .locator('.workbench-hover-container, .monaco-hover')
      .first()
      .waitFor({ state: 'hidden', timeout: 5_000 })
      .catch(() => {});
  });

  // Focus off the tree, so the screenshot shows no focus outline.
  await page.mouse.click(900, 600);
  const treeShot = path.join(OUT, 'tree.png');
  await page.screenshot({ path: treeShot, clip: await sideBarClip(page) });
  await page.screenshot({ path: path.join(OUT, 'workbench.png') });
  if (process.argv.includes('--readme-shot')) {
    copyFileSync(treeShot, README_SHOT);
    console.log(`copied ${path.relative(REPO_ROOT, treeShot)} to ${path.relative(REPO_ROOT, README_SHOT)}`);
  }

  await check('Refresh in the view title re-reads the lab host (its "collected" time changes)', async () => {
    const host = await waitChild(page, dest, (r) => r.level === 1 && r.label === dest, dest, true);
    const before = collected(await hoverText(page, rowLocator(page, host), /collected/));
    await page.mouse.move(900, 600);
    await sleep(1_100); // the tooltip's time has one-second resolution
    const refresh = page.locator('.part.sidebar .composite.title .title-actions a.action-label[aria-label^="Refresh"]');
    await refresh.click({ timeout: 10_000 });
    const deadline = Date.now() + 60_000;
    let after = before;
    while (after === before) {
      if (Date.now() > deadline) throw new Error(`still collected "${before}" 60 s after Refresh`);
      await sleep(1_000);
      const h = await waitChild(page, dest, (r) => r.level === 1 && r.label === dest && !/refreshing/.test(r.description), dest, true);
      after = collected(await hoverText(page, rowLocator(page, h), /collected/));
      await page.mouse.move(900, 600);
    }
  });

  await check('after Refresh the tree still shows br9, default, the lease and c7', async () => {
    for (const [what, pred] of [
      ['br9', (r: Row) => r.level === 3 && r.label === 'br9'],
      ['default', (r: Row) => r.level === 3 && r.label === 'default'],
      ['the lease', (r: Row) => r.level === 4 && LEASE_IP.test(r.label)],
      ['c7', (r: Row) => r.level === 3 && r.label === 'c7'],
    ] as const) {
      await waitChild(page, dest, pred, what);
    }
    await page.screenshot({ path: path.join(OUT, 'after-refresh.png'), clip: await sideBarClip(page) });
  });
}

/** The rows below `host` up to the next root. */
function under(rows: Row[], host: Row): Row[] {
  const start = rows.indexOf(host);
  const end = rows.findIndex((r, i) => i > start && r.level === 1);
  return rows.slice(start + 1, end < 0 ? undefined : end);
}

function rowLocator(page: Page, row: Row): Locator {
  return page.locator(`${ROWS}[data-index="${row.index}"]`);
}

/** Polls the tree until `pick` returns a row; `pick` may throw to fail at once. */
async function waitRow(page: Page, pick: (rows: Row[]) => Row | undefined, timeoutMs: number, what: string): Promise<Row> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = pick(await visibleRows(page));
    if (found) return found;
    if (Date.now() > deadline) throw new Error(`not in the tree after ${timeoutMs / 1000} s: ${what}`);
    await sleep(250);
  }
}

/** A row below the lab host (or the host itself with `self`) matching `pred`. */
function waitChild(page: Page, dest: string, pred: (r: Row) => boolean, what: string, self = false): Promise<Row> {
  return waitRow(
    page,
    (rows) => {
      const host = rows.find((r) => r.level === 1 && r.label === dest);
      if (!host) return undefined;
      return self && pred(host) ? host : under(rows, host).find(pred);
    },
    15_000,
    `${what} (under ${dest})`,
  );
}

/** Expands the node at `labels` (a path of labels below the lab host), if it is not already. */
async function expand(page: Page, dest: string, labels: string[]): Promise<void> {
  const target = await waitRow(
    page,
    (rows) => {
      const host = rows.find((r) => r.level === 1 && r.label === dest);
      if (!host) return undefined;
      let scope = under(rows, host);
      let hit: Row | undefined;
      for (const [depth, label] of labels.entries()) {
        hit = scope.find((r) => r.level === depth + 2 && r.label === label);
        if (!hit) return undefined;
        const from = scope.indexOf(hit);
        const end = scope.findIndex((r, i) => i > from && r.level <= hit!.level);
        scope = scope.slice(from + 1, end < 0 ? undefined : end);
      }
      return hit;
    },
    15_000,
    labels.join(' > '),
  );
  if (target.expanded === 'true') return;
  if (target.expanded !== 'false') throw new Error(`${labels.join(' > ')} cannot be expanded`);
  await rowLocator(page, target).locator('.monaco-tl-twistie').click();
}

/** Hovers `row` and returns the hover's text once it matches `want`. */
function collected(tooltip: string): string {
  const m = /collected:?\s*(.+?)(?: in \d+ ms| - |$)/.exec(tooltip);
  if (!m) throw new Error(`host tooltip has no "collected" line: ${JSON.stringify(tooltip)}`);
  return m[1].trim();
}

/** Drags the sash between side bar and editor so the side bar is about `width` px wide. */
async function widenSideBar(page: Page, width: number): Promise<void> {
  const box = await page.locator('.part.sidebar').boundingBox();
  if (!box || box.width >= width) return;
  const y = box.y + box.height / 2;
  await page.mouse.move(box.x + box.width, y);
  await page.mouse.down();
  await page.mouse.move(box.x + width, y, { steps: 5 });
  await page.mouse.up();
}

/** The activity bar plus the side bar: the part of the window a README needs. */
async function sideBarClip(page: Page): Promise<{ x: number; y: number; width: number; height: number }> {
  const box = await page.locator('.part.sidebar').boundingBox();
  if (!box) throw new Error('no side bar');
  // Down to a little below the last row: the empty rest of the side bar says nothing.
  const bottom = await page.locator(ROWS).evaluateAll((els) => Math.max(0, ...els.map((e) => e.getBoundingClientRect().bottom)));
  const height = bottom > 0 ? Math.min(box.height, bottom + 40 - box.y) : box.height;
  // From the side bar's top: the title bar above would only show a cut-off window title.
  return { x: 0, y: Math.round(box.y), width: Math.round(box.x + box.width), height: Math.round(height) };
}

checks.exitAfter(main);
