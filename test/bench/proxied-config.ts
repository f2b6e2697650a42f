/**
 * What the benchmarks share: an ssh config that reaches a lab host through the delaying proxy
 * (keeping its host key alias), an executor on it with its commands counted, timed runs, medians.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SshExecutor } from '../../src/core/exec/ssh';
import type { CommandLog } from '../../src/core/exec/types';
import type { LabHost } from '../lab/lab';

export function proxiedConfig(host: LabHost, port: number, dir: string): { file: string; dest: string } {
  const text = readFileSync(host.sshConfig, 'utf8');
  const start = text.indexOf(`Host ${host.dest}\n`);
  const block = text.slice(start).split(/\n(?=Host |# END)/)[0] ?? '';
  const dest = `${host.dest}-slow`;
  const body = block
    .split('\n')
    .slice(1)
    .filter((l) => !/^\s*(HostName|Port)\s/i.test(l))
    .join('\n');
  const file = join(dir, 'ssh_config');
  writeFileSync(file, `Host ${dest}\n  HostName 127.0.0.1\n  Port ${port}\n${body}\n`);
  return { file, dest };
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/** Counts the commands an executor runs: its log says `$ ` once per command. */
export function commandCounter(): { log: CommandLog; count(): number; reset(): void } {
  let n = 0;
  return {
    log: { info: (m) => void (/^\[[^\]]*\] \$ /.test(m) && n++), debug() {}, error() {} },
    count: () => n,
    reset: () => void (n = 0),
  };
}

/** An executor on the lab host through the delaying proxy, its commands counted. */
export function proxiedExecutor(host: LabHost, proxyPort: number, work: string, counter: { log: CommandLog }): SshExecutor {
  const { file, dest } = proxiedConfig(host, proxyPort, work);
  return new SshExecutor(dest, { configFile: file, controlDir: mkdtempSync(join(work, 'w')), log: counter.log });
}

export interface Timed {
  ms: number[];
  /** Of the last run. */
  commands: number;
  newTcpConnections: number;
}

/**
 * `runs` timed runs of `body`, each followed by `after` outside the timing (a check, a teardown):
 * the wall times, and the commands and new TCP connections of the last run.
 */
export async function timedRuns(
  runs: number,
  proxy: { connections: number },
  counter: { count(): number; reset(): void },
  body: () => Promise<void>,
  after: () => Promise<unknown> = async () => {},
): Promise<Timed> {
  const out: Timed = { ms: [], commands: 0, newTcpConnections: 0 };
  for (let i = 0; i < runs; i++) {
    counter.reset();
    const before = proxy.connections;
    const t = performance.now();
    await body();
    out.ms.push(performance.now() - t);
    out.commands = counter.count();
    out.newTcpConnections = proxy.connections - before;
    await after();
  }
  return out;
}
