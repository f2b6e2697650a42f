/** Reads the concrete `Host` names of an ssh config file, for the Add Host picker. */
import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';

export function defaultSshConfigPath(): string {
  return join(homedir(), '.ssh', 'config');
}

/**
 * Host aliases named in `Host` lines, in file order, without patterns (`*`, `?`, `!negation`),
 * which are not destinations one can connect to. `Include` is not followed.
 */
export function sshConfigHostNames(text: string): string[] {
  const names: string[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.replace(/#.*/, '').trim();
    // ssh_config allows `Host a b`, `host a` and `Host=a`.
    const m = /^host(?:\s*=\s*|\s+)(.+)$/i.exec(line);
    if (!m) continue;
    for (const name of m[1].split(/\s+/)) {
      const unquoted = name.replace(/^"(.*)"$/, '$1');
      if (unquoted && !/[*?!]/.test(unquoted) && !names.includes(unquoted)) {
        names.push(unquoted);
      }
    }
  }
  return names;
}

/** The host names of a config file; an absent or unreadable file has none. */
export async function readSshConfigHostNames(path: string): Promise<string[]> {
  try {
    return sshConfigHostNames(await readFile(path, 'utf8'));
  } catch {
    return [];
  }
}
