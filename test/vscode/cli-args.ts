/**
 * Command line shared by run-suite.ts (VS Code server + chromium) and run-electron.ts (desktop VS
 * Code via @vscode/test-electron), so a suite is started the same way on either.
 */
import { existsSync, statSync } from 'node:fs';
import path from 'node:path';

export interface SuiteArgs {
  extension: string;
  tests: string;
  workspace?: string;
  env: Record<string, string>;
  settings: Record<string, unknown>;
  timeoutS: number;
  logLevel: 'trace' | 'debug' | 'info';
  verbose: boolean;
  keep: boolean;
}

function usageExit(prog: string, msg: string): never {
  console.error(`${prog}: ${msg}
usage: node --import tsx test/vscode/${prog} --extension <dir> --tests <suite index.js>
       [--workspace <dir>] [--env KEY=VAL]... [--setting KEY=JSON]... [--timeout <s>]
       [--log-level info|debug|trace] [--verbose] [--keep]`);
  process.exit(2);
}

export function parseSuiteArgs(argv: string[], prog: string): SuiteArgs {
  const usage = (msg: string): never => usageExit(prog, msg);
  const a: Partial<SuiteArgs> & Pick<SuiteArgs, 'env' | 'settings'> = { env: {}, settings: {} };
  let timeoutS = 300;
  let logLevel: SuiteArgs['logLevel'] = 'info';
  let verbose = false;
  let keep = false;
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const value = () => argv[++i] ?? usage(`${flag} needs a value`);
    switch (flag) {
      case '--extension':
        a.extension = path.resolve(value());
        break;
      case '--tests':
        a.tests = path.resolve(value());
        break;
      case '--workspace':
        a.workspace = path.resolve(value());
        break;
      case '--env': {
        const v = value();
        const eq = v.indexOf('=');
        if (eq <= 0) usage(`--env expects KEY=VAL, got ${v}`);
        a.env[v.slice(0, eq)] = v.slice(eq + 1);
        break;
      }
      case '--setting': {
        const v = value();
        const eq = v.indexOf('=');
        if (eq <= 0) usage(`--setting expects KEY=JSON, got ${v}`);
        const raw = v.slice(eq + 1);
        // JSON when it parses (true, 3, "x", [..]), otherwise the plain string.
        try {
          a.settings[v.slice(0, eq)] = JSON.parse(raw);
        } catch {
          a.settings[v.slice(0, eq)] = raw;
        }
        break;
      }
      case '--timeout':
        timeoutS = Number(value());
        break;
      case '--log-level': {
        const v = value();
        if (v !== 'info' && v !== 'debug' && v !== 'trace') return usage(`--log-level must be info, debug or trace`);
        logLevel = v;
        break;
      }
      case '--verbose':
        verbose = true;
        break;
      case '--keep':
        keep = true;
        break;
      case '--help':
      case '-h':
        return usage('help');
      default:
        return usage(`unknown argument ${flag}`);
    }
  }
  if (!a.extension) return usage('--extension is required');
  if (!a.tests) return usage('--tests is required');
  if (!existsSync(path.join(a.extension, 'package.json'))) usage(`no package.json in ${a.extension}`);
  if (!existsSync(a.tests)) usage(`${a.tests} does not exist (compile the suite first?)`);
  if (a.workspace && !statSync(a.workspace, { throwIfNoEntry: false })?.isDirectory()) usage(`${a.workspace} is not a folder`);
  if (!(timeoutS > 0)) usage('--timeout must be a positive number of seconds');
  return { ...(a as SuiteArgs), timeoutS, logLevel, verbose, keep };
}
