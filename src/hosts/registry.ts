/**
 * The hosts shown in the tree, kept in step with the settings: "This host" (when shown) first,
 * then the SSH destinations of `virtnet.hosts`. A session survives a settings change that does
 * not concern it, so its model and its tree node stay put.
 */
import * as vscode from 'vscode';
import type { CommandLog } from '../core/exec/types';
import { askSudoPassword } from './password';
import { HostSession, THIS_HOST } from './session';
import { readSettings, type VirtNetSettings } from './settings';
import { thisHostPlace, type ThisHostPlace } from './thisHost';

export class HostRegistry implements vscode.Disposable {
  private sessions: HostSession[] = [];
  /** What each session's executor was built from; a change of it rebuilds the session. */
  private readonly builtWith = new Map<HostSession, string>();
  private readonly listChanged = new vscode.EventEmitter<void>();
  private readonly hostChanged = new vscode.EventEmitter<HostSession>();
  private subscriptions = new Map<HostSession, vscode.Disposable>();
  /** The list of hosts itself changed (added, removed, rebuilt). */
  readonly onDidChangeHosts = this.listChanged.event;
  /** One host's state or model changed. */
  readonly onDidChangeHost = this.hostChanged.event;
  readonly place: ThisHostPlace;

  constructor(
    private readonly log: CommandLog,
    extensionKind: vscode.ExtensionKind,
  ) {
    this.place = thisHostPlace(extensionKind);
    this.reconcile();
  }

  all(): readonly HostSession[] {
    return this.sessions;
  }

  find(dest: string): HostSession | undefined {
    return this.sessions.find((s) => s.dest === dest);
  }

  /** Brings the sessions in line with the settings; returns whether the list changed. */
  reconcile(settings: VirtNetSettings = readSettings()): boolean {
    const wanted = [...(settings.showThisHost ? [THIS_HOST] : []), ...settings.hosts.filter((h) => h !== THIS_HOST)];
    const next: HostSession[] = [];
    for (const dest of wanted) {
      const existing = this.find(dest);
      // A session whose executor options changed is rebuilt; the others keep their model.
      const keep = existing && this.builtWith.get(existing) === recipe(dest, settings);
      next.push(keep ? existing : this.create(dest, settings));
    }
    const dropped = this.sessions.filter((s) => !next.includes(s));
    const changed = dropped.length > 0 || next.length !== this.sessions.length || next.some((s, i) => s !== this.sessions[i]);
    for (const s of dropped) this.drop(s);
    this.sessions = next;
    if (changed) this.listChanged.fire();
    return changed;
  }

  private create(dest: string, settings: VirtNetSettings): HostSession {
    const session = new HostSession(dest, {
      sshConfigFile: settings.sshConfigFile,
      passwordIdleMs: settings.sudoPasswordIdleMs,
      log: this.log,
      askPassword: askSudoPassword,
    });
    this.subscriptions.set(
      session,
      session.onDidChange((s) => this.hostChanged.fire(s)),
    );
    this.builtWith.set(session, recipe(dest, settings));
    if (dest !== THIS_HOST) this.log.info(`[${dest}] ssh config: ${settings.sshConfigFile ?? '~/.ssh/config (default)'}`);
    return session;
  }

  private drop(session: HostSession): void {
    this.subscriptions.get(session)?.dispose();
    this.subscriptions.delete(session);
    this.builtWith.delete(session);
    session.dispose();
  }

  /** Refreshes every host in parallel; resolves when all have settled. */
  async refreshAll(): Promise<void> {
    await Promise.all(this.sessions.map((s) => s.refresh()));
  }

  dispose(): void {
    for (const s of this.sessions) this.drop(s);
    this.sessions = [];
    this.listChanged.dispose();
    this.hostChanged.dispose();
  }
}

/** The settings an executor for this destination depends on (the ssh config only matters for SSH). */
function recipe(dest: string, settings: VirtNetSettings): string {
  return JSON.stringify([settings.sudoPasswordIdleMs, dest === THIS_HOST ? null : (settings.sshConfigFile ?? null)]);
}
