/** Helpers for the tests that feed generated config to the real tools (see tools.test.ts). */
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { PersistResult } from '../../../../../src/core/ops/persist';

export function which(tool: string): string | null {
  for (const d of ['/usr/sbin', '/usr/bin', '/sbin', '/bin', '/lib/systemd', '/usr/lib/systemd']) {
    if (existsSync(join(d, tool))) return join(d, tool);
  }
  return null;
}

export function withTmp(fn: (dir: string) => void): void {
  const dir = mkdtempSync(join(tmpdir(), 'virtnet-tools-'));
  try {
    fn(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Writes the result's files under `root` (keeping their absolute paths) with their modes. */
export function materialise(root: string, r: PersistResult): void {
  for (const f of r.files) {
    const p = join(root, f.path);
    mkdirSync(dirname(p), { recursive: true });
    writeFileSync(p, f.contents);
    chmodSync(p, parseInt(f.mode, 8));
  }
}

export const run = (cmd: string, args: string[], input?: string) => spawnSync(cmd, args, { encoding: 'utf8', input });

export const nsOk = process.getuid?.() === 0 && run('unshare', ['-n', '-m', 'true']).status === 0;
