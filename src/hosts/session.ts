/**
 * One host in the tree: its executor, the last model read from it, and the state of the read in
 * flight. A refresh never throws; a failure becomes the `error` state that the tree shows.
 */
import * as vscode from 'vscode';
import { collectInventory } from '../core/collect/collect';
import { CommandError } from '../core/exec/errors';
import { executorFor } from '../core/exec/index';
import type { CommandLog, Executor, PasswordProvider } from '../core/exec/types';
import type { HostModel } from '../core/model/types';

/** `local` is the machine the extension runs on; anything else is an SSH destination. */
export const THIS_HOST = 'local';

export type HostState =
  | { kind: 'idle' }
  | { kind: 'loading'; since: number }
  | { kind: 'ready' }
  | { kind: 'error'; error: unknown };

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
