/** An ssh config that reaches a lab host through the delaying proxy, keeping its host key alias. */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
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
