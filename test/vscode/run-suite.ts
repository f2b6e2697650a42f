/**
 * Runs an extension-host test suite in a real VS Code 1.100.3 (the server from code-server, driven
 * by Debian's chromium), and exits with the suite's exit code.
 *
 *   node --import tsx test/vscode/run-suite.ts --extension <dir> --tests <abs path to suite index.js>
 *        [--workspace <dir>] [--env KEY=VAL]... [--setting KEY=JSON]... [--timeout <seconds>]
 *        [--log-level info|debug|trace] [--verbose] [--keep]
 *
 * --env values reach the extension host (it inherits the server's environment).
 * --verbose also forwards the server's own log lines; --keep leaves the temp user-data dir (logs).
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { format } from 'node:util';
import { ensureServerInstalled, launchBrowser, startServer, stopServer, workbenchUrl, type LaunchedBrowser, type VsServer } from './server';
import { parseSuiteArgs } from './cli-args';

/**
 * Where the extension host's output goes under this server:
 *  - console.log/error and process.stdout/stderr.write inside the extension host are forwarded
 *    to the workbench, which (in extension-test mode) logs them through its log service to the
 *    browser console as console.log('%c INFO', 'color: ..', <original args>...). We re-format the
 *    original args with util.format, which is what the extension host's console would have done.
 *  - Native writes to fd 1/2 (fs.writeSync, child processes inheriting stdio, crashes) reach the
 *    server's pipe, which logs them as "[hh:mm:ss] [..][..][ExtensionHostConnection] <pid> chunk"
 *    (or "<pid><stderr> chunk"); a chunk's further lines come without that prefix.
 */
const EXTHOST_SERVER_LINE = /^\[\d\d:\d\d:\d\d\] (?:\[[^\]]*\])*\s*<(\d+)>(<stderr>)?\s?(.*)$/;
const SERVER_LINE_START = /^\[\d\d:\d\d:\d\d\]/;
const SERVER_EXTHOST_NOTE = /^(Launched Extension Host Process|Extension Host Process (exited|had an error))/;
/**
 * The workbench's own log lines use the same console format as forwarded extension-host output;
 * these are the ones it prints while an extension-host test runs, dropped unless --verbose.
 */
const WORKBENCH_NOISE =
  /^(Ignoring fetching additional builtin extensions|Updating additional builtin extensions cache|Creating a socket|Resolv(ing|ed) connection token|ChatSessionStore:|\[Service Worker\])/;
/** First argument of a workbench log-service console message: "%c INFO", "%c  ERR", ... */
const LOG_SERVICE_LEVEL = /^%c\s*(TRACE|DEBUG|INFO|WARN|ERR)$/;

async function main(): Promise<number> {
  const args = parseSuiteArgs(process.argv.slice(2), 'run-suite.ts');
  const t0 = Date.now();
  const elapsed = () => `${((Date.now() - t0) / 1000).toFixed(1)}s`;
  const note = (m: string) => console.error(`[run-suite ${elapsed()}] ${m}`);

  ensureServerInstalled();

  const tmpWorkspace = args.workspace ? undefined : mkdtempSync(path.join(os.tmpdir(), 'virtnet-ws-'));
  const workspace = args.workspace ?? tmpWorkspace!;
  let server: VsServer | undefined;
  let browser: LaunchedBrowser | undefined;
  let exitCode = 1;

  // Ctrl-C / kill: still stop what we started, by pid, then exit.
  let stopping: Promise<void> | undefined;
  const cleanup = () =>
    (stopping ??= (async () => {
      await browser?.close().catch(() => {});
      if (server) await stopServer(server).catch(() => {});
      if (tmpWorkspace) rmSync(tmpWorkspace, { recursive: true, force: true });
    })());
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.on(sig, () => {
      note(`${sig}: stopping`);
      void cleanup().then(() => process.exit(130));
    });
  }

  // Workbench chatter before the extension host exists is not test output; see LOG_SERVICE_LEVEL.
  let extHostLaunched = false;
  let inExtHostChunk = false;
  let extHostExit: string | undefined;
  // process.stdout/stderr.write in the extension host goes to BOTH channels (it is forwarded as a
  // console call and also written natively). Native lines almost always arrive first, so remember
  // them and skip the forwarded copy when it matches.
  const nativeLines: string[] = [];
  const printNative = (line: string, err: boolean) => {
    (err ? process.stderr : process.stdout).write(`${line}\n`);
    nativeLines.push(line);
    if (nativeLines.length > 5_000) nativeLines.splice(0, 1_000);
  };
  const isNativeCopy = (text: string) => {
    const lines = text.split('\n');
    const at = nativeLines.indexOf(lines[0]);
    if (at < 0 || lines.some((l, i) => nativeLines[at + i] !== l)) return false;
    nativeLines.splice(at, lines.length);
    return true;
  };
  const onServerLine = (line: string) => {
    const m = EXTHOST_SERVER_LINE.exec(line);
    if (m) {
      inExtHostChunk = true;
      // The server's own notes about the extension host share the prefix; they are progress, not
      // test output.
      if (SERVER_EXTHOST_NOTE.test(m[3])) {
        if (/^Launched/.test(m[3])) extHostLaunched = true;
        // The exit note arrives before the last forwarded console lines; keep it for the end.
        if (/exited/.test(m[3])) extHostExit = `extension host <${m[1]}>: ${m[3]}`;
        else note(`extension host <${m[1]}>: ${m[3]}`);
        inExtHostChunk = false;
      } else {
        printNative(m[3], !!m[2]);
      }
    } else if (inExtHostChunk && !SERVER_LINE_START.test(line)) {
      // Chunks end with a newline, which the server's logger turns into an empty line.
      if (line) printNative(line, false);
    } else {
      inExtHostChunk = false;
      if (args.verbose) process.stderr.write(`[server] ${line}\n`);
    }
  };

  try {
    server = await startServer({
      // Mocha in the extension host writes to a pipe, so it would drop colors; keep them when our
      // output is a terminal.
      env: { ...(process.stdout.isTTY ? { MOCHA_COLORS: '1' } : {}), ...args.env },
      settings: args.settings,
      logLevel: args.logLevel,
      keepTemp: args.keep,
      onLine: onServerLine,
    });
    note(`VS Code server pid ${server.pid} at ${server.url}`);

    browser = await launchBrowser();
    note(`chromium pid ${browser.pid}`);
    const page = await browser.browser.newPage();

    // The workbench calls window.codeAutomationExit(code) when the test run settles.
    let resolveExit!: (code: number) => void;
    const exited = new Promise<number>((r) => (resolveExit = r));
    await page.exposeFunction('codeAutomationExit', (code: number) => resolveExit(Number(code)));
    page.on('pageerror', (e) => {
      if (args.verbose) console.error(`[page error] ${e.message}`);
    });
    // Reading console arguments is async; a chain keeps the lines in the order they were logged.
    let consoleChain: Promise<void> = Promise.resolve();
    page.on('console', (msg) => {
      consoleChain = consoleChain.then(async () => {
        const values = await Promise.all(msg.args().map((a) => a.jsonValue().catch(() => '[unserializable]')));
        const level = typeof values[0] === 'string' ? LOG_SERVICE_LEVEL.exec(values[0]) : null;
        if (level && extHostLaunched && !WORKBENCH_NOISE.test(String(values[2]))) {
          const text = format(...values.slice(2));
          if (isNativeCopy(text)) return;
          (level[1] === 'WARN' || level[1] === 'ERR' ? process.stderr : process.stdout).write(`${text}\n`);
        } else if (args.verbose) {
          console.error(`[browser ${msg.type()}] ${msg.text()}`);
        }
      });
    });

    const url = workbenchUrl(server, {
      folder: workspace,
      extensionDevelopmentPath: args.extension,
      extensionTestsPath: args.tests,
    });
    if (args.verbose) note(`opening ${url}`);
    await page.goto(url);

    const timedOut = new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), args.timeoutS * 1000).unref());
    const result = await Promise.race([exited, timedOut]);
    if (result === 'timeout') {
      note(`timed out after ${args.timeoutS}s waiting for the suite to finish`);
      dumpExtHostLogs(server);
      exitCode = 124;
    } else {
      exitCode = result;
      // Let the last forwarded lines (mocha's summary) print before we report.
      await Promise.race([consoleChain, new Promise((r) => setTimeout(r, 2_000))]);
      if (extHostExit) note(extHostExit);
      note(`suite finished with exit code ${exitCode}`);
      if (exitCode !== 0 && args.verbose) dumpExtHostLogs(server);
    }
  } catch (e) {
    note(`error: ${(e as Error).stack ?? e}`);
    if (server) dumpExtHostLogs(server);
    exitCode = 1;
  } finally {
    await cleanup();
    note(`stopped server and browser${args.keep && server ? `; kept ${server.tempDir}` : ''}`);
  }
  return exitCode;
}

/** On failure, the extension host's own log tells why the suite did not load or finish. */
function dumpExtHostLogs(server: VsServer): void {
  const logs = path.join(server.userDataDir, 'logs');
  const walk = (dir: string): string[] =>
    readdirSync(dir, { withFileTypes: true }).flatMap((d) => (d.isDirectory() ? walk(path.join(dir, d.name)) : [path.join(dir, d.name)]));
  try {
    for (const f of walk(logs).filter((f) => /exthost|remoteagent/i.test(f))) {
      const text = readFileSync(f, 'utf8').trim();
      if (text) console.error(`--- ${path.relative(logs, f)} ---\n${text.split('\n').slice(-60).join('\n')}`);
    }
  } catch {
    /* no logs yet */
  }
}

main().then(
  (code) => process.exit(code),
  (e) => {
    console.error(e);
    process.exit(1);
  },
);
