/** The extension's settings, read in one place so every reader agrees on names and defaults. */
import * as vscode from 'vscode';

export const SECTION = 'virtnet';

export interface VirtNetSettings {
  showThisHost: boolean;
  /** SSH destinations as the user wrote them, duplicates and blanks removed. */
  hosts: string[];
  sshConfigFile: string | undefined;
  sudoPasswordIdleMs: number;
  refreshIntervalMs: number;
  /** Whether changes survive a reboot: ask each time, runtime only, or always save. */
  persistence: 'ask' | 'runtime' | 'save';
}

export function readSettings(): VirtNetSettings {
  const c = vscode.workspace.getConfiguration(SECTION);
  const hosts = c.get<unknown[]>('hosts', []);
  const configFile = c.get<string>('sshConfigFile', '').trim();
  const idleMin = c.get<number>('sudoPasswordIdleMinutes', 15);
  const intervalS = c.get<number>('refreshInterval', 0);
  return {
    showThisHost: c.get<boolean>('showThisHost', true),
    hosts: [...new Set((Array.isArray(hosts) ? hosts : []).map((h) => String(h).trim()).filter((h) => h.length > 0))],
    sshConfigFile: configFile.length > 0 ? configFile : undefined,
    // A zero or negative idle time would forget the password before it is used: keep one minute.
    sudoPasswordIdleMs: Math.max(1, Number.isFinite(idleMin) ? idleMin : 15) * 60_000,
    refreshIntervalMs: Number.isFinite(intervalS) && intervalS > 0 ? Math.max(5, intervalS) * 1000 : 0,
    persistence: (['ask', 'runtime', 'save'] as const).find((v) => v === c.get<string>('persistence')) ?? 'ask',
  };
}

/** Writes the list of SSH hosts to user settings (the setting is machine-scoped). */
export async function writeHosts(hosts: string[]): Promise<void> {
  await vscode.workspace.getConfiguration(SECTION).update('hosts', hosts, vscode.ConfigurationTarget.Global);
}
