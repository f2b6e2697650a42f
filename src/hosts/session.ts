/**
 * One host in the tree: its executor, the last model read from it, and the state of the read in
 * flight. A refresh never throws; a failure becomes the `error` state that the tree shows.
 */
import * as vscode from 'vscode';
import { collectInventory } from '../core/collect/collect';
import { CommandError } from '../core/exec/errors';
import { executorFor } from '../core/exec/index';
import type { CommandLog, Executor, PasswordProvider } from '../core/exec/types';
import type { HostModel, PlanRecord } from '../core/model/types';

/** `local` is the machine the extension runs on; anything else is an SSH destination. */
export const THIS_HOST = 'local';

export type HostState = { kind: 'idle' } | { kind: 'loading'; since: number } | { kind: 'ready' } | { kind: 'error'; error: unknown };

export interface SessionOptions {
  sshConfigFile?: string;
  passwordIdleMs: number;
  log: CommandLog;
  askPassword: PasswordProvider;
  timeoutMs?: number;
}

export class HostSession implements vscode.Disposable {
  private _state: HostState = { kind: 'idle' };
  private _model: HostModel | undefined;
  private executor: Executor | undefined;
  private inFlight: Promise<void> | undefined;
  private abort = new AbortController();
  private readonly changed = new vscode.EventEmitter<HostSession>();
  /** Fires whenever the state or the model changes. */
  readonly onDidChange = this.changed.event;
  /** Journal ids of plans whose connection this window lost while they ran. */
  private readonly lost = new Set<string>();

  constructor(
    /** `local` or the SSH destination as configured. */
    readonly dest: string,
    readonly options: SessionOptions,
  ) {}

  get isThisHost(): boolean {
    return this.dest === THIS_HOST;
  }

  get state(): HostState {
    return this._state;
  }

  /** The last model read successfully; kept while a later refresh runs or fails. */
  get model(): HostModel | undefined {
    return this._model;
  }

  /** Path-safe key used in tree ids and XML URIs. */
  get key(): string {
    return this.dest;
  }

  /** The executor, created on first use; an invalid destination throws here. */
  getExecutor(): Executor {
    this.executor ??= executorFor(this.dest, {
      configFile: this.options.sshConfigFile,
      log: this.options.log,
      askPassword: this.options.askPassword,
      passwordIdleMs: this.options.passwordIdleMs,
    });
    return this.executor;
  }

  /** A plan this window lost contact with mid-run: its outcome is reported once the host answers. */
  noteLostPlan(journalId: string): void {
    this.lost.add(journalId);
  }

  /**
   * Plans whose outcome nobody saw, from the last read: claimed by this read (their client is
   * gone), or lost by this window and finished since; and the lost ones the host has no journal
   * of (they never reached it). Each is returned once.
   */
  takeUnseenPlans(): { records: PlanRecord[]; neverArrived: string[] } {
    const plans = this._model?.plans ?? [];
    const records = plans.filter((p) => p.claimed || (this.lost.has(p.id) && p.state !== 'running'));
    for (const p of records) this.lost.delete(p.id);
    const neverArrived = this._model?.info.root ? [...this.lost].filter((id) => !plans.some((p) => p.id === id)) : [];
    for (const id of neverArrived) this.lost.delete(id);
    // A claimed record is reported once: later reads of this model show it as seen.
    if (this._model && records.length)
      this._model = { ...this._model, plans: plans.map((p) => (records.includes(p) ? { ...p, claimed: false, seen: true } : p)) };
    return { records, neverArrived };
  }

  /** Reads the host again; concurrent callers share the read already running. */
  refresh(): Promise<void> {
    if (!this.inFlight) {
      // The state changes before anyone hears of it, so a listener that asks for settled()
      // gets this read, not a second one.
      this._state = { kind: 'loading', since: Date.now() };
      this.inFlight = this.collect().finally(() => {
        this.inFlight = undefined;
      });
      this.changed.fire(this);
    }
    return this.inFlight;
  }

  /** The read in flight, or a resolved promise when none runs. */
  settled(): Promise<void> {
    return this.inFlight ?? Promise.resolve();
  }

  private async collect(): Promise<void> {
    try {
      const model = await collectInventory(this.getExecutor(), {
        timeoutMs: this.options.timeoutMs ?? 60_000,
        signal: this.abort.signal,
      });
      this._model = model;
      this.setState({ kind: 'ready' });
    } catch (error) {
      if (this.abort.signal.aborted) return;
      this.options.log.error(`[${this.dest}] inventory failed: ${error instanceof Error ? error.message : String(error)}`);
      this.setState({ kind: 'error', error });
    }
  }

  private setState(state: HostState): void {
    this._state = state;
    if (!this.abort.signal.aborted) this.changed.fire(this);
  }

  dispose(): void {
    this.abort.abort();
    this.changed.dispose();
    void this.executor?.dispose().catch(() => {});
  }
}

/** A short hint for the failures a user can fix themselves, shown beside the reason. */
export function failureHint(error: unknown): string | undefined {
  if (!(error instanceof CommandError)) return undefined;
  switch (error.kind) {
    case 'unreachable':
      return 'check the address, the port and that sshd runs';
    case 'auth':
      return 'VirtNet connects non-interactively: load the key into ssh-agent or name it with IdentityFile';
    case 'hostkey':
      return 'connect once with ssh in a terminal to check and trust the host key';
    case 'sudo':
      return 'configure passwordless sudo, or enter the password when asked';
    case 'timeout':
      return 'the host did not answer in time';
    case 'not-found':
      return 'a program VirtNet needs is missing';
    default:
      return undefined;
  }
}
