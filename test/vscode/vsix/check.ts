/**
 * The packaged extension works: `npm run package` (scripts/package.sh) makes a .vsix; the VS Code
 * server installs it offline (`server-main.js --install-extension`) into a fresh extensions dir;
 * a server started on that dir serves a workbench (no extension under development) where the
 * VirtNet view shows this host, i.e. the installed extension activated. Screenshot:
 * test-results/ui/vsix.png.
 *
 *   node --import tsx test/vscode/vsix/check.ts [--vsix <file>]   (prints "N passed, N failed" last)
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { BASE_SETTINGS, REPO_ROOT, SERVER_MAIN, ensureServerInstalled, killTree, launchBrowser, type LaunchedBrowser } from '../server';
import { Checks } from '../ui/checks';

const OUT = path.join(REPO_ROOT, 'test-results/ui');
const pkg = JSON.parse(readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as { publisher: string; name: string; version: string };
const EXT_ID = `${pkg.publisher}.${pkg.name}`;

const checks = new Checks();
const ok = (name: string) => checks.ok(name);
const fail = (name: string, why: string) => checks.fail(name, why);

/** The server environment: no gallery (closed network), nothing from a surrounding VS Code. */
function serverEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, EXTENSIONS_GALLERY: '{}' };
  for (const k of Object.keys(env)) if (k.startsWith('VSCODE_') || k === 'ELECTRON_RUN_AS_NODE') delete env[k];
  return env;
}

/** server-main.js on port 0 with our extensions dir (startServer() always uses a fresh empty one). */
function startServerWith(tmp: string, extensionsDir: string): Promise<{ pid: number; port: number }> {
  const userData = path.join(tmp, 'user-data');
  mkdirSync(path.join(userData, 'User'), { recursive: true });
  writeFileSync(path.join(userData, 'User/settings.json'), JSON.stringify(BASE_SETTINGS, null, 2));
  const child = spawn(
    process.execPath,
    [
      SERVER_MAIN,
      '--host',
      '127.0.0.1',
      '--port',
      '0',
      '--without-connection-token',
      '--accept-server-license-terms',
      '--telemetry-level',
      'off',
      '--user-data-dir',
      userData,
      '--server-data-dir',
      path.join(tmp, 'server-data'),
      '--extensions-dir',
      extensionsDir,
    ],
    { env: serverEnv(), cwd: tmp, detached: true, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  return new Promise((resolve, reject) => {
    let seen = '';
    const timer = setTimeout(() => {
      void killTree(child.pid!);
      reject(new Error(`server did not listen within 60 s:\n${seen}`));
    }, 60_000);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`server exited early (code ${code}):\n${seen}`));
    });
    for (const s of [child.stdout!, child.stderr!]) {
      s.setEncoding('utf8').on('data', (c: string) => {
        seen += c;
        const m = /Extension host agent listening on (\d+)/.exec(seen);
        if (m) {
          clearTimeout(timer);
          child.removeAllListeners('exit');
          resolve({ pid: child.pid!, port: Number(m[1]) });
        }
      });
    }
  });
}

async function main(): Promise<void> {
  mkdirSync(OUT, { recursive: true });
  ensureServerInstalled();
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'virtnet-vsix-'));
  let serverPid: number | undefined;
  let browser: LaunchedBrowser | undefined;
  try {
    // 1. The vsix: given, or packed now the way `npm run package` does.
    const argi = process.argv.indexOf('--vsix');
    const vsix = argi > 0 ? path.resolve(process.argv[argi + 1]) : path.join(tmp, `virtnet-${pkg.version}.vsix`);
    if (argi < 0) {
      const r = spawnSync('bash', [path.join(REPO_ROOT, 'scripts/package.sh'), vsix], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
      if (r.status !== 0 || !existsSync(vsix)) {
        fail('scripts/package.sh packs a vsix', `exit ${r.status}\n${r.stdout}${r.stderr}`);
        return;
      }
      ok(`scripts/package.sh packs ${path.basename(vsix)}`);
    }

    // 2. Offline install into a fresh extensions dir.
    const extDir = path.join(tmp, 'extensions');
    const inst = spawnSync(process.execPath, [SERVER_MAIN, '--install-extension', vsix, '--extensions-dir', extDir, '--accept-server-license-terms'], {
      env: serverEnv(),
      encoding: 'utf8',
      timeout: 120_000,
    });
    const installed = existsSync(extDir) ? readdirSync(extDir).filter((d) => d.toLowerCase().startsWith(`${EXT_ID.toLowerCase()}-`)) : [];
    if (inst.status === 0 && installed.length === 1 && existsSync(path.join(extDir, installed[0], 'dist/extension.js'))) {
      ok(`the server installs it offline as ${installed[0]}`);
    } else {
      fail('the server installs the vsix offline', `exit ${inst.status}, dirs [${installed.join(', ')}]\n${inst.stdout}${inst.stderr}`);
      return;
    }

    // 3. A server on that extensions dir: the workbench shows the VirtNet view with this host.
    const server = await startServerWith(tmp, extDir);
    serverPid = server.pid;
    browser = await launchBrowser();
    const page = await browser.browser.newPage({ viewport: { width: 1280, height: 800 } });
    const ws = path.join(tmp, 'ws');
    mkdirSync(ws);
    await page.goto(`http://127.0.0.1:${server.port}/?folder=${encodeURIComponent(ws)}`);
    await page.locator('.monaco-workbench .part.activitybar').waitFor({ timeout: 60_000 });
    try {
      const entry = page.locator('.part.activitybar .action-item a[aria-label^="VirtNet"]');
      await entry.waitFor({ timeout: 30_000 });
      await entry.click();
      const view = page.locator('[id="workbench.view.extension.virtnet"]');
      await view.locator('.monaco-list-row[aria-level="1"]', { hasText: 'this host' }).waitFor({ timeout: 30_000 });
      await view.locator('.monaco-list-row[aria-level="2"]', { hasText: 'Bridges' }).first().waitFor({ timeout: 30_000 });
      ok('the installed extension activates: the VirtNet view shows this host and its groups');
    } catch (e) {
      fail('the installed extension activates (VirtNet view shows this host)', (e as Error).message.split('\n')[0]);
    }
    // It must be the installed copy, not a development one.
    const title = await page.title();
    if (!/Extension Development Host/.test(title)) ok(`not an Extension Development Host (title "${title}")`);
    else fail('the workbench runs the installed extension', `title "${title}"`);
    await page.screenshot({ path: path.join(OUT, 'vsix.png') });
  } catch (e) {
    fail('the check could run', String((e as Error).stack ?? e));
  } finally {
    await browser?.close();
    if (serverPid) await killTree(serverPid);
    rmSync(tmp, { recursive: true, force: true });
  }
}

checks.exitAfter(main);
