/**
 * Runs the same extension-host suite in a desktop VS Code through @vscode/test-electron, for
 * machines that have one (a developer's desktop, or CI with a cached VS Code). It never downloads
 * VS Code: without a desktop executable it reports "skipped: <reason>" and exits 0, because on our
 * lab machines run-suite.ts (VS Code server + chromium) is the way to run these tests.
 *
 *   node --import tsx test/vscode/run-electron.ts --extension <dir> --tests <suite index.js>
 *        [--workspace <dir>] [--env KEY=VAL]...
 *
 * The executable is VSCODE_EXECUTABLE (the Electron binary, e.g. /usr/share/code/code), or found
 * from `code` on PATH. --setting/--timeout/--log-level/--verbose/--keep are accepted and ignored.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, realpathSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseSuiteArgs } from './cli-args';
import { BASE_SETTINGS } from './server';

/** The Electron executable behind the `code` CLI script, per platform layout; undefined if none. */
function executableFromCli(cli: string): string | undefined {
  const real = realpathSync(cli);
  const binDir = path.dirname(real); // <root>/bin on Linux/Windows, .../Resources/app/bin on macOS
  const candidates =
    process.platform === 'darwin'
      ? [path.resolve(binDir, '../../../MacOS/Electron'), path.resolve(binDir, '../../../MacOS/Code')]
      : process.platform === 'win32'
        ? [path.resolve(binDir, '../Code.exe'), path.resolve(binDir, '../Code - Insiders.exe')]
        : [path.resolve(binDir, '../code'), path.resolve(binDir, '../code-insiders')];
  return candidates.find((c) => existsSync(c) && c !== real);
}

function findExecutable(): { exe?: string; reason?: string } {
  const fromEnv = process.env.VSCODE_EXECUTABLE;
  if (fromEnv) return existsSync(fromEnv) ? { exe: fromEnv } : { reason: `VSCODE_EXECUTABLE=${fromEnv} does not exist` };
  const which = spawnSync(process.platform === 'win32' ? 'where' : 'which', ['code'], { encoding: 'utf8' });
  const cli = which.status === 0 ? which.stdout.split(/\r?\n/)[0].trim() : '';
  if (!cli) return { reason: 'no desktop VS Code (no `code` on PATH and VSCODE_EXECUTABLE unset)' };
  const exe = executableFromCli(cli);
  return exe ? { exe } : { reason: `\`code\` at ${cli} is not a desktop VS Code install (no Electron binary beside it)` };
}

async function main(): Promise<number> {
  const args = parseSuiteArgs(process.argv.slice(2), 'run-electron.ts');
  const { exe, reason } = findExecutable();
  if (!exe) {
    console.log(`skipped: ${reason}`);
    return 0;
  }
  if (process.platform === 'linux' && !process.env.DISPLAY && !process.env.WAYLAND_DISPLAY) {
    console.log('skipped: desktop VS Code needs a display (set DISPLAY, or run under xvfb-run)');
    return 0;
  }

  const { runTests } = await import('@vscode/test-electron');
  // Fresh user data with the same settings run-suite.ts uses, so both hosts start alike.
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'virtnet-electron-'));
  mkdirSync(path.join(tmp, 'user-data/User'), { recursive: true });
  writeFileSync(path.join(tmp, 'user-data/User/settings.json'), JSON.stringify({ ...BASE_SETTINGS, ...args.settings }, null, 2));
  const workspace = args.workspace ?? mkdtempSync(path.join(tmp, 'ws-'));
  try {
    return await runTests({
      vscodeExecutablePath: exe,
      extensionDevelopmentPath: args.extension,
      extensionTestsPath: args.tests,
      extensionTestsEnv: args.env,
      launchArgs: [
        workspace,
        '--user-data-dir',
        path.join(tmp, 'user-data'),
        '--extensions-dir',
        path.join(tmp, 'extensions'),
        '--disable-extensions', // only the extension under development
        '--disable-workspace-trust',
        '--skip-welcome',
        '--skip-release-notes',
        ...(process.getuid?.() === 0 ? ['--no-sandbox'] : []), // Electron refuses root with its sandbox
      ],
    });
  } catch (e) {
    // runTests rejects (TestRunFailedError) when the suite fails; the output is already printed.
    console.error(String((e as Error).message ?? e));
    return 1;
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

main().then(
  (code) => process.exit(code),
  (e) => {
    console.error(e);
    process.exit(1);
  },
);
