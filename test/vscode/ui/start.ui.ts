/**
 * Checks `npm start` (scripts/start.sh) in its server mode: it prints a URL; opening that URL in
 * chromium shows the VirtNet tree with this host (named by its hostname, "this host · ..."); Ctrl-C
 * (SIGINT to its process group) stops it and its server. Screenshot: test-results/ui/start.png.
 *
 *   node --import tsx test/vscode/ui/start.ui.ts      (prints "N passed, N failed" last)
 */
import { spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { REPO_ROOT, killTree, launchBrowser, sleep, type LaunchedBrowser } from '../server';
import { Checks } from './checks';

const OUT = path.join(REPO_ROOT, 'test-results/ui');
const checks = new Checks();
const ok = (name: string) => checks.ok(name);
const fail = (name: string, why: string) => checks.fail(name, why);

/** A port that was free a moment ago (start.sh takes a fixed port, not 0). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}

function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const c = net.connect(port, '127.0.0.1');
    c.once('connect', () => (c.destroy(), resolve(true)));
    c.once('error', () => resolve(false));
  });
}

async function main(): Promise<number> {
  mkdirSync(OUT, { recursive: true });
  const port = await freePort();
  // Its own process group, so "Ctrl-C" can be sent the way a terminal sends it: to the group.
  const child = spawn('bash', [path.join(REPO_ROOT, 'scripts/start.sh')], {
    env: { ...process.env, VIRTNET_PORT: String(port), VIRTNET_START: 'server' },
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.setEncoding('utf8').on('data', (c: string) => (out += c));
  child.stderr!.setEncoding('utf8').on('data', (c: string) => (out += c));
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  let browser: LaunchedBrowser | undefined;
  try {
    const deadline = Date.now() + 120_000; // includes the build and a cold server install
    let url: string | undefined;
    while (!url && Date.now() < deadline && child.exitCode === null) {
      url = /^\s*(http:\/\/127\.0\.0\.1:\d+\/\?\S+)\s*$/m.exec(out)?.[1];
      if (!url) await sleep(200);
    }
    if (!url) {
      fail('npm start prints the URL to open', `no URL; output:\n${out}`);
      return 1;
    }
    if (url.startsWith(`http://127.0.0.1:${port}/`)) ok(`npm start prints the URL on VIRTNET_PORT ${port}`);
    else fail('npm start prints the URL on VIRTNET_PORT', url);

    browser = await launchBrowser();
    const page = await browser.browser.newPage({ viewport: { width: 1280, height: 800 } });
    await page.goto(url);
    const entry = page.locator('.part.activitybar .action-item a[aria-label^="VirtNet"]');
    await entry.waitFor({ timeout: 60_000 });
    await entry.click();
    const hostname = os.hostname();
    const row = page.locator('[id="workbench.view.extension.virtnet"] .monaco-list-row[aria-level="1"]', {
      has: page.locator('.label-name', { hasText: new RegExp(`^${hostname.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`) }),
    });
    try {
      await row.filter({ hasText: 'this host' }).waitFor({ timeout: 30_000 });
      // Its groups show once the host was read.
      await page
        .locator('[id="workbench.view.extension.virtnet"] .monaco-list-row[aria-level="2"]', { hasText: 'Bridges' })
        .first()
        .waitFor({ timeout: 30_000 });
      ok(`the VirtNet tree shows this host "${hostname}" with its groups`);
    } catch (e) {
      fail(`the VirtNet tree shows this host "${hostname}"`, (e as Error).message.split('\n')[0]);
    }
    await page.screenshot({ path: path.join(OUT, 'start.png') });
    console.log(`screenshot: ${path.relative(REPO_ROOT, path.join(OUT, 'start.png'))}`);
    await browser.close();
    browser = undefined;

    process.kill(-child.pid!, 'SIGINT');
    const code = await Promise.race([exited, sleep(20_000).then(() => 'timeout' as const)]);
    if (code === 0) ok('Ctrl-C stops npm start (exit 0)');
    else fail('Ctrl-C stops npm start', `exit ${code}`);
    // The kernel closes the listening socket when the last process holding it has finished
    // exiting, which can trail npm start's own exit: allow a few seconds, no more.
    let open = await portOpen(port);
    for (let i = 0; open && i < 50; i++) {
      await sleep(100);
      open = await portOpen(port);
    }
    if (!open) ok(`the server no longer listens on ${port}`);
    else fail('the server stops with it', `port ${port} still open 5 s after npm start exited`);
  } catch (e) {
    fail('the check could run', String((e as Error).stack ?? e));
  } finally {
    await browser?.close();
    // Whatever is left (a failure above): start.sh's tree; the server is start.ts's child.
    if (child.exitCode === null) await killTree(child.pid!);
  }
  return 0;
}

checks.exitAfter(main);
