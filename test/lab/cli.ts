/** Runs the built `virtnet` CLI (dist/cli.js) and reports how it ended; never throws on exit codes. */
import { execFile } from 'node:child_process';

export const CLI = new URL('../../dist/cli.js', import.meta.url).pathname;

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
  ms: number;
}

export function virtnet(args: string[]): Promise<CliResult> {
  const started = Date.now();
  return new Promise((resolve) => {
    execFile('node', [CLI, ...args], { maxBuffer: 64 << 20, timeout: 110_000 }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : -1) : 0;
      resolve({ code, stdout, stderr, ms: Date.now() - started });
    });
  });
}

/** The CLI against a lab host: `--host` and `--ssh-config` appended. */
export function onLab(host: { dest: string; sshConfig: string }, ...extra: string[]): (...args: string[]) => Promise<CliResult> {
  return (...args) => virtnet([...args, '--host', host.dest, '--ssh-config', host.sshConfig, ...extra]);
}
