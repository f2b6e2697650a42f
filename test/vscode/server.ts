/**
 * Building blocks for tests against a real VS Code (1.100.3, from code-server) on machines where no
 * desktop VS Code can be downloaded: start/stop the VS Code server, launch Debian's chromium
 * through playwright-core, and build the workbench URL that makes the web workbench load an
 * extension under development and run its tests in the server's extension host.
 *
 * Used by run-suite.ts (extension-host test suites) and by Playwright UI tests (selftest/ui.ts).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, BrowserServer, Page } from 'playwright-core';

const HERE = path.dirname(fileURLToPath(import.meta.url));
export const REPO_ROOT = path.resolve(HERE, '../..');
export const CODE_SERVER_DIR = process.env.VIRTNET_CODE_SERVER_DIR ?? path.join(REPO_ROOT, '.cache/code-server');
export const VSCODE_DIR = path.join(CODE_SERVER_DIR, 'node_modules/code-server/lib/vscode');
/** The plain VS Code server entry: it needs none of code-server's own (native) dependencies. */
export const SERVER_MAIN = path.join(VSCODE_DIR, 'out/server-main.js');
export const CHROMIUM = process.env.VIRTNET_CHROMIUM ?? '/usr/bin/chromium';

/** Settings that keep first-run dialogs and editors from covering the workbench. */
export const BASE_SETTINGS: Record<string, unknown> = {
  'security.workspace.trust.enabled': false,
  'workbench.startupEditor': 'none',
  // Closed network: no gallery, update or experiment lookups that can only fail and add noise.
  'extensions.autoCheckUpdates': false,
  'extensions.autoUpdate': false,
  'extensions.ignoreRecommendations': true,
  'update.mode': 'none',
  'telemetry.telemetryLevel': 'off',
  'workbench.enableExperiments': false,
};

/** Runs install-server.sh, which returns in milliseconds once the cache is complete. */
export function ensureServerInstalled(): void {
  // Its progress goes to our stderr: stdout carries the suite's report.
  const r = spawnSync('bash', [path.join(HERE, 'install-server.sh')], { stdio: ['ignore', 2, 2] });
  if (r.status !== 0) throw new Error(`install-server.sh failed (status ${r.status}, signal ${r.signal})`);
}

export interface StartServerOptions {
  /** Extra user settings, merged over BASE_SETTINGS. */
  settings?: Record<string, unknown>;
  /** Extra environment for the server, which the extension host inherits. */
  env?: Record<string, string>;
  /** VS Code log level for the server (and its extension host). */
  logLevel?: 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'off';
  /** Called for each line the server prints; defaults to dropping them (they stay in `output`). */
  onLine?: (line: string, stream: 'stdout' | 'stderr') => void;
  /** How long to wait for the server to listen. */
  startTimeoutMs?: number;
  /** Keep the temp folder (user data, logs) after stopServer, to investigate a failure. */
  keepTemp?: boolean;
  /**
   * Start the server ON this host, the way Remote-SSH does: log in over SSH, start it in the
   * background with its output in a file, and let it listen on the host's address. The server,
   * and the extension host it forks, inherit that login's SSH_CONNECTION. Omitted: this machine,
   * on 127.0.0.1.
   */
  overSsh?: { sshConfig: string; dest: string; address: string };
}

export interface VsServer {
  host: string;
  port: number;
  /** The remote authority the workbench will use, and vscode.env.remoteName in the extension host. */
  authority: string;
  /** http://127.0.0.1:<port> — use exactly this host, the authority must match the payload URIs. */
  url: string;
  pid: number;
  /** The spawned server; undefined when it was started over SSH (then `pid` is its pid). */
  process: ChildProcess | undefined;
  /** Temp folder holding user-data, server-data and extensions dirs. */
  tempDir: string;
  userDataDir: string;
  keepTemp: boolean;
  /** Every line the server printed so far (stdout and stderr interleaved). */
  output: string[];
}

/** Starts the VS Code server on 127.0.0.1 at a free port, without auth, with fresh user data. */
export async function startServer(opts: StartServerOptions = {}): Promise<VsServer> {
  if (!existsSync(SERVER_MAIN)) {
    throw new Error(`${SERVER_MAIN} is missing: run bash test/vscode/install-server.sh`);
  }
  const tempDir = mkdtempSync(path.join(os.tmpdir(), 'virtnet-vscode-'));
  const userDataDir = path.join(tempDir, 'user-data');
  mkdirSync(path.join(userDataDir, 'User'), { recursive: true });
  // The server makes the web workbench read user settings from <user-data-dir>/User. The window
  // is a remote one, where machine-scoped settings (virtnet.hosts, virtnet.sshConfigFile) count
  // only from the remote machine's settings, <user-data-dir>/Machine, as under Remote-SSH; once the
  // workbench knows their scope (always after a reload) it ignores them in User. So both files.
  const settings = JSON.stringify({ ...BASE_SETTINGS, ...opts.settings }, null, 2);
  writeFileSync(path.join(userDataDir, 'User/settings.json'), settings);
  mkdirSync(path.join(userDataDir, 'Machine'), { recursive: true });
  writeFileSync(path.join(userDataDir, 'Machine/settings.json'), settings);

  // The extension host is forked from the server and inherits its environment; drop variables a
  // surrounding VS Code (integrated terminal, or an extension host) sets, so they cannot make this
  // one talk to that instance.
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (k.startsWith('VSCODE_') || k === 'ELECTRON_RUN_AS_NODE') continue;
    env[k] = v;
  }
  // No extension gallery: on a closed network its lookups only fail (with stack traces in the
  // browser console) and slow the workbench; the server reads this override from the environment.
  env.EXTENSIONS_GALLERY = '{}';
  Object.assign(env, opts.env);

  const listen = opts.overSsh?.address ?? '127.0.0.1';
  const args = [
    SERVER_MAIN,
    '--host',
    listen,
    '--port',
    '0', // the server picks a free port and prints it: no race with a port we probed
    '--without-connection-token',
    '--accept-server-license-terms',
    '--telemetry-level',
    'off',
    '--user-data-dir',
    userDataDir,
    '--server-data-dir',
    path.join(tempDir, 'server-data'),
    '--extensions-dir',
    path.join(tempDir, 'extensions'),
    '--log',
    opts.logLevel ?? 'info',
  ];
  if (opts.overSsh) {
    const port = await startOverSsh(
      opts.overSsh,
      tempDir,
      args,
      { EXTENSIONS_GALLERY: env.EXTENSIONS_GALLERY!, ...opts.env },
      opts.startTimeoutMs ?? 60_000,
    ).catch((e) => {
      if (!opts.keepTemp) rmSync(tempDir, { recursive: true, force: true });
      throw e;
    });
    const authority = `${listen}:${port.port}`;
    return {
      host: listen,
      port: port.port,
      authority,
      url: `http://${authority}`,
      pid: port.pid,
      process: undefined,
      tempDir,
      userDataDir,
      keepTemp: !!opts.keepTemp,
      output: port.output,
    };
  }
  // detached: own process group, so a Ctrl-C aimed at the test runner does not kill the server
  // before we stop it (by pid) in order.
  const child = spawn(process.execPath, args, { env, cwd: tempDir, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  const output: string[] = [];
  const onLine = opts.onLine ?? (() => {});

  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => fail(new Error('VS Code server did not start listening in time')), opts.startTimeoutMs ?? 60_000);
    const fail = (e: Error) => {
      clearTimeout(timer);
      reject(new Error(`${e.message}\n--- server output ---\n${output.join('\n')}`));
    };
    child.once('error', fail);
    child.once('exit', (code, sig) => fail(new Error(`VS Code server exited early (code ${code}, signal ${sig})`)));
    for (const stream of ['stdout', 'stderr'] as const) {
      let rest = '';
      child[stream]!.setEncoding('utf8').on('data', (chunk: string) => {
        const lines = (rest + chunk).split('\n');
        rest = lines.pop()!;
        for (const line of lines) {
          output.push(line);
          onLine(line, stream);
          const m = /Extension host agent listening on (\d+)/.exec(line);
          if (m) {
            clearTimeout(timer);
            child.removeAllListeners('exit');
            resolve(Number(m[1]));
          }
        }
      });
    }
  }).catch(async (e) => {
    await killTree(child.pid!);
    if (!opts.keepTemp) rmSync(tempDir, { recursive: true, force: true });
    throw e;
  });

  const authority = `127.0.0.1:${port}`;
  return {
    host: '127.0.0.1',
    port,
    authority,
    url: `http://${authority}`,
    pid: child.pid!,
    process: child,
    tempDir,
    userDataDir,
    keepTemp: !!opts.keepTemp,
    output,
  };
}

/**
 * Remote-SSH's way: one SSH login starts the server detached (nohup, output to a file, stdin
 * closed), prints its pid and logs out; the server keeps running and keeps the login's
 * environment. Lab hosts share this machine's pid and file namespaces, so the pid and the log
 * file are readable here.
 */
async function startOverSsh(
  target: { sshConfig: string; dest: string },
  dir: string,
  args: string[],
  env: Record<string, string>,
  timeoutMs: number,
): Promise<{ port: number; pid: number; output: string[] }> {
  const logFile = path.join(dir, 'server.log');
  // Constant script; every value is a positional parameter. ssh joins its arguments with spaces
  // for the remote shell, so the whole command travels as one quoted word list.
  const script = 'cd "$1" && log=$2 && shift 2 && nohup env "$@" > "$log" 2>&1 < /dev/null & echo $!';
  const words = ['sh', '-c', script, 'virtnet-server', dir, logFile, ...Object.entries(env).map(([k, v]) => `${k}=${v}`), process.execPath, ...args];
  const quoted = words.map((w) => `'${w.replace(/'/g, `'\\''`)}'`).join(' ');
  const r = spawnSync('ssh', ['-F', target.sshConfig, target.dest, '--', quoted], { encoding: 'utf8', timeout: 30_000 });
  const pid = Number(r.stdout.trim());
  if (r.status !== 0 || !Number.isInteger(pid) || pid <= 0) {
    throw new Error(`starting the VS Code server over ssh failed (status ${r.status}): ${r.stderr}`);
  }
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const output = existsSync(logFile) ? readFileSync(logFile, 'utf8').split('\n') : [];
    const m = output.map((l) => /Extension host agent listening on (\d+)/.exec(l)).find(Boolean);
    if (m) return { port: Number(m[1]), pid, output };
    if (Date.now() > deadline) {
      await killTree(pid);
      throw new Error(`the VS Code server on ${target.dest} did not listen in time\n--- server output ---\n${output.join('\n')}`);
    }
    await sleep(250);
  }
}

/** Stops the server and everything it started (extension host, pty host, watchers), by pid. */
export async function stopServer(server: VsServer): Promise<void> {
  await killTree(server.pid);
  if (!server.keepTemp) rmSync(server.tempDir, { recursive: true, force: true });
}

export interface WorkbenchTarget {
  /** Absolute path of the folder to open (on the server, i.e. this machine). */
  folder?: string;
  /** Absolute path of an extension to load as under development. */
  extensionDevelopmentPath?: string;
  /** Absolute path of a compiled test entry exporting run(); the workbench exits when it settles. */
  extensionTestsPath?: string;
}

/**
 * The server ignores --extensionDevelopmentPath/--extensionTestsPath on its command line, but the
 * web workbench reads both from the `payload` query parameter, as vscode-remote URIs on this server.
 */
export function workbenchUrl(server: VsServer, target: WorkbenchTarget = {}): string {
  const q = new URLSearchParams();
  if (target.folder) q.set('folder', path.resolve(target.folder));
  const payload: [string, string][] = [];
  const remote = (p: string) => `vscode-remote://${server.authority}${path.resolve(p)}`;
  if (target.extensionDevelopmentPath) payload.push(['extensionDevelopmentPath', remote(target.extensionDevelopmentPath)]);
  if (target.extensionTestsPath) payload.push(['extensionTestsPath', remote(target.extensionTestsPath)]);
  if (payload.length) q.set('payload', JSON.stringify(payload));
  return `${server.url}/?${q.toString()}`;
}

export interface LaunchedBrowser {
  browser: Browser;
  pid: number;
  close(): Promise<void>;
}

/**
 * Launches Debian's chromium (never a Playwright-downloaded one) headless. launchServer gives us
 * the browser's pid, so it can be stopped by pid with its renderer/GPU/zygote children.
 */
export async function launchBrowser(opts: { headless?: boolean } = {}): Promise<LaunchedBrowser> {
  process.env.PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD = '1';
  const { chromium } = await import('playwright-core');
  const server: BrowserServer = await chromium.launchServer({
    executablePath: CHROMIUM,
    headless: opts.headless ?? true,
    args: [
      '--no-sandbox', // we run as root, where chromium's sandbox cannot start
      '--disable-gpu',
      // closed network: no update checks, field trials, sync or QUIC probes to time out on
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
      '--disable-quic',
    ],
    // We stop it ourselves, by pid, in the order we choose.
    handleSIGINT: false,
    handleSIGTERM: false,
    handleSIGHUP: false,
  });
  const pid = server.process().pid!;
  const browser = await chromium.connect(server.wsEndpoint());
  let closed = false;
  return {
    browser,
    pid,
    async close() {
      if (closed) return;
      closed = true;
      // Graceful first (flushes nothing we need, but avoids chromium's crash dialogs/logs) with a
      // bound, then make sure the whole tree is gone.
      await Promise.race([browser.close().then(() => server.close()), sleep(5_000)]).catch(() => {});
      await killTree(pid);
    },
  };
}

/** Opens the workbench in a new page and waits until the activity bar is visible. */
export async function openWorkbench(browser: Browser, url: string, timeoutMs = 60_000): Promise<Page> {
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  await page.goto(url);
  await page.locator('.monaco-workbench .part.activitybar').waitFor({ state: 'visible', timeout: timeoutMs });
  return page;
}

// --- process helpers -------------------------------------------------------------------------

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Pids of all descendants of `root` (children first-level to deepest), from /proc. */
export function descendants(root: number): number[] {
  const children = new Map<number, number[]>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${name}/stat`, 'utf8');
    } catch {
      continue; // exited while we looked
    }
    // Field 4 is the ppid; the command name (field 2) may contain spaces, so parse after its ')'.
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    const list = children.get(ppid) ?? [];
    list.push(Number(name));
    children.set(ppid, list);
  }
  const out: number[] = [];
  const queue = [root];
  while (queue.length) {
    for (const c of children.get(queue.shift()!) ?? []) {
      out.push(c);
      queue.push(c);
    }
  }
  return out;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    // A zombie still answers signal 0; it is gone for our purposes.
    return !readFileSync(`/proc/${pid}/stat`, 'utf8').includes(') Z ');
  } catch {
    return false;
  }
}

/**
 * SIGTERM `pid` and all its descendants (snapshotted first, so children re-parented to init when
 * their parent dies are still ours), then SIGKILL whatever is left after `graceMs`.
 */
export async function killTree(pid: number, graceMs = 5_000): Promise<void> {
  const pids = [pid, ...descendants(pid)];
  const signal = (sig: NodeJS.Signals) => {
    for (const p of pids) {
      try {
        process.kill(p, sig);
      } catch {
        /* already gone */
      }
    }
  };
  signal('SIGTERM');
  const deadline = Date.now() + graceMs;
  while (Date.now() < deadline && pids.some(alive)) await sleep(50);
  // Late children (spawned between snapshot and SIGTERM) are picked up here as well.
  for (const p of pids.filter(alive)) pids.push(...descendants(p));
  signal('SIGKILL');
}
