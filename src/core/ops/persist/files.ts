/**
 * Writing and removing configuration files as plan steps. Contents and paths travel as argv
 * words (quoted once by shJoin when the plan becomes a script), never spliced into shell text.
 */
import { createHash } from 'node:crypto';
import { step, type Step } from '../plan';
import type { PersistFile } from './types';

// The scripts are constants; every value arrives as a positional parameter.
const BACKUP = 'if [ -e "$1" ]; then cp -a "$1" "$2"; fi';
const WRITE = 'umask 077; printf "%s" "$3" > "$1.virtnet-tmp" && chmod "$2" "$1.virtnet-tmp" && mv -f "$1.virtnet-tmp" "$1"';
const RESTORE = 'if [ -e "$2" ]; then cp -a "$2" "$1"; else rm -f "$1"; fi';

/** `20240501T101500Z`: sorts by time and has no characters any shell or glob cares about. */
export function stamp(now: Date): string {
  return now
    .toISOString()
    .replace(/\.\d+Z$/, 'Z')
    .replace(/[-:]/g, '');
}

/**
 * Where the backup of `path` goes. `hidden` puts a dot in front: ifupdown's
 * `source /etc/network/interfaces.d/*` would read a visible backup as live configuration.
 */
export function backupPath(path: string, ts: string, hidden = false): string {
  const slash = path.lastIndexOf('/');
  const dir = path.slice(0, slash + 1);
  const base = path.slice(slash + 1);
  return `${dir}${hidden ? '.' : ''}${base}.virtnet-bak-${ts}`;
}

function backupStep(path: string, bak: string): Step {
  return step(['sh', '-c', BACKUP, 'virtnet-backup', path, bak], `back up ${path} (if it exists) to ${bak}`, ['rm', '-f', bak], {
    kind: 'file',
    display: `back up ${path}`,
  });
}

function restoreArgv(path: string, bak: string): string[] {
  return ['sh', '-c', RESTORE, 'virtnet-restore', path, bak];
}

/** Back up, then write the exact contents atomically (temp file, chmod, rename). */
export function writeFileSteps(file: PersistFile, bak: string): Step[] {
  return [
    backupStep(file.path, bak),
    step(['sh', '-c', WRITE, 'virtnet-write', file.path, file.mode, file.contents], `write ${file.path} (mode ${file.mode})`, restoreArgv(file.path, bak), {
      kind: 'file',
      display: `write ${file.path}`,
    }),
  ];
}

/** Back up, then remove; undo puts the backup back. */
export function removeFileSteps(path: string, bak: string): Step[] {
  return [backupStep(path, bak), step(['rm', '-f', path], `remove ${path}`, restoreArgv(path, bak), { kind: 'file', display: `remove ${path}` })];
}

/** A fixed, valid UUID derived from a seed, so a plan previewed twice is the same plan. */
export function seededUuid(seed: string): string {
  const h = createHash('sha1').update(seed).digest('hex');
  // Version 5 layout (name-based, SHA-1), variant RFC 4122.
  const variant = ((parseInt(h[16]!, 16) & 0x3) | 0x8).toString(16);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-${variant}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

export const HEADER = 'Written by VirtNet';
