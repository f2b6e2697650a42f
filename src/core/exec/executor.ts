/**
 * What both executors share: root handling, logging of every command, and turning outcomes into
 * results or CommandErrors. Subclasses only say how an argv reaches the host (a prefix) and how
 * to read transport failures.
 */
import { CancelWatch, newRunTag, type CancelSignal } from './cancel';
import { CommandError, type FailureKind } from './errors';
import { shJoin } from './quote';
import { randomPrompt, requireRootArgv, rootIfAvailableArgv, stripPrompt, sudoMissing, sudoPasswordArgv, sudoValidateArgv, sudoWantsPassword } from './root';
import { spawnArgv, type SpawnOutcome } from './spawn';
import { silentLog, type CommandLog, type Executor, type PasswordProvider, type RunOptions, type RunResult } from './types';

export interface ExecutorOptions {
  log?: CommandLog;
  /** Called when sudo needs a password; without it, such commands fail with kind `sudo`. */
  askPassword?: PasswordProvider;
  /** Forget a remembered sudo password after this long without use (ms). Default 15 minutes. */
  passwordIdleMs?: number;
}

const DEFAULT_PASSWORD_IDLE_MS = 15 * 60 * 1000;
const DEFAULT_CANCEL_GRACE_MS = 5000;
/** A cancel's TERM is repeated this often: a run may start on the host only after the first one. */
const CANCEL_REPEAT_MS = 2000;

/** How a run asked for root; a cancel of it needs the same rights to signal its processes. */
export type RootMode = boolean | 'if-available';

/** A command in flight that a cancel may need to stop. */
export interface CancellableRun {
  /** The tag a remote run carries (see cancel.ts); undefined when the run cannot be cancelled. */
  tag: string | undefined;
  /** The local process (the ssh client, or the command itself), once it exists. */
  pid: number | undefined;
  root: RootMode;
  display: string;
}

export abstract class BaseExecutor implements Executor {
  abstract readonly kind: 'local' | 'ssh';
  protected readonly log: CommandLog;
  private password: string | undefined;
  private passwordTimer: NodeJS.Timeout | undefined;

  constructor(
    readonly host: string,
    private readonly options: ExecutorOptions = {},
  ) {
    this.log = options.log ?? silentLog;
  }

  /**
   * Turns the argv meant for the host into the local argv that gets it there. `tag` is set for a
   * run that may be cancelled: the transport makes the run findable by it (or ignores it when
   * the run is a local process group anyway).
   */
  protected abstract transport(argv: readonly string[], timeoutMs: number | undefined, tag: string | undefined): string[];

  /** Local runs that may be cancelled start as their own process group (see LocalExecutor). */
  protected readonly detachCancellable: boolean = false;

  /** Sends `signal` to every process of a cancelled run; never throws. */
  protected abstract interrupt(run: CancellableRun, signal: CancelSignal): Promise<void>;

  /** Recognises failures of the transport itself (SSH refusing, unreachable host). */
  protected abstract transportFailure(outcome: SpawnOutcome): FailureKind | null;

  abstract dispose(): Promise<void>;

  /** Drops the remembered sudo password now. */
  forgetPassword(): void {
    this.password = undefined;
    if (this.passwordTimer) {
      clearTimeout(this.passwordTimer);
      this.passwordTimer = undefined;
    }
  }

  async run(argv: readonly string[], options: RunOptions = {}): Promise<RunResult> {
    if (argv.length === 0) {
      throw new Error('empty command');
    }
    const display = options.label ?? shJoin(argv);
    const root = options.root ?? false;

    if (root === 'if-available') {
      const outcome = await this.execute(rootIfAvailableArgv(argv), display, options, 'if-available');
      return this.finish(outcome, display, options, null);
    }
    if (root === false) {
      return this.finish(await this.execute(argv, display, options, false), display, options, false);
    }

    if (this.password === undefined) {
      const outcome = await this.execute(requireRootArgv(argv), `${display} (as root)`, options, true);
      if (sudoMissing(outcome.exitCode, outcome.stderr)) {
        throw this.failure('sudo', display, { ...outcome, stderr: `root is needed and sudo is not installed on ${this.host}\n${outcome.stderr}` });
      }
      if (outcome.cancelled || !sudoWantsPassword(outcome.exitCode, outcome.stderr)) {
        return this.finish(outcome, `${display} (as root)`, options, true);
      }
      await this.obtainPassword(display, options);
    }
    return this.runWithPassword(argv, display, options);
  }

  private async obtainPassword(display: string, options: RunOptions): Promise<void> {
    const ask = this.options.askPassword;
    const entered = ask ? await ask(this.host, `sudo password for ${this.host}`) : undefined;
    if (entered === undefined) {
      throw this.failure('sudo', display, {
        stdout: '',
        stderr: `sudo on ${this.host} needs a password and none was given (configure passwordless sudo, or enter it when asked)`,
        exitCode: 1,
        durationMs: 0,
        timedOut: false,
        cancelled: false,
        notFound: false,
        started: false,
      });
    }
    // Validate first: a wrong password must not make sudo read the command's own stdin as retries.
    const prompt = randomPrompt();
    const check = await this.execute(sudoValidateArgv(prompt), 'sudo -v (password check)', { ...options, input: `${entered}\n` }, false);
    if (check.cancelled) {
      throw this.failure('cancelled', display, check);
    }
    if (check.exitCode !== 0) {
      throw this.failure('sudo', display, { ...check, stderr: stripPrompt(check.stderr, prompt) || 'sudo rejected the password' });
    }
    this.rememberPassword(entered);
  }

  private rememberPassword(password: string): void {
    this.password = password;
    if (this.passwordTimer) {
      clearTimeout(this.passwordTimer);
    }
    this.passwordTimer = setTimeout(() => this.forgetPassword(), this.options.passwordIdleMs ?? DEFAULT_PASSWORD_IDLE_MS);
    this.passwordTimer.unref();
  }

  private async runWithPassword(argv: readonly string[], display: string, options: RunOptions): Promise<RunResult> {
    const password = this.password as string;
    this.rememberPassword(password);
    const prompt = randomPrompt();
    const input = `${password}\n${options.input ?? ''}`;
    const outcome = await this.execute(sudoPasswordArgv(prompt, argv), `${display} (as root, sudo -S)`, { ...options, input }, true);
    const cleaned = { ...outcome, stderr: stripPrompt(outcome.stderr, prompt) };
    if (/incorrect password|Sorry, try again/.test(cleaned.stderr) && outcome.exitCode === 1) {
      this.forgetPassword();
      throw this.failure('sudo', display, cleaned);
    }
    return this.finish(cleaned, `${display} (as root)`, options, true);
  }

  /**
   * Runs through the transport and logs; never throws for a non-zero exit. `root` says how the
   * argv got root, so that a cancel can signal its processes with the same rights.
   */
  private async execute(argv: readonly string[], display: string, options: RunOptions, root: RootMode): Promise<SpawnOutcome> {
    const signal = options.signal;
    if (signal?.aborted) {
      this.log.info(`[${this.host}] cancelled before it started: ${display}`);
      return { stdout: '', stderr: '', exitCode: null, durationMs: 0, timedOut: false, cancelled: true, notFound: false, started: false };
    }
    this.log.info(`[${this.host}] $ ${display}`);
    const run: CancellableRun = { tag: signal ? newRunTag() : undefined, pid: undefined, root, display };
    const grace = options.cancelGraceMs ?? DEFAULT_CANCEL_GRACE_MS;
    const watch = signal
      ? new CancelWatch(signal, (sig) => this.interrupt(run, sig), {
          graceMs: grace,
          repeatMs: CANCEL_REPEAT_MS,
          onCancel: () => this.log.info(`[${this.host}] cancelling: ${display}`),
          onKill: () => this.log.info(`[${this.host}] still running ${grace} ms after the cancel: killing ${display}`),
        })
      : undefined;
    let outcome: SpawnOutcome;
    try {
      outcome = await spawnArgv(this.transport(argv, options.timeoutMs, run.tag), {
        input: options.input,
        timeoutMs: options.timeoutMs,
        signal: watch?.giveUp.signal,
        cancelled: signal,
        detached: signal !== undefined && this.detachCancellable,
        onSpawn: (pid) => {
          run.pid = pid;
        },
        onStderr: options.onStderr,
      });
    } finally {
      // A signal already on its way must land before the caller hears back ("nothing left running").
      await watch?.settle();
    }
    outcome = { ...outcome, cancelled: outcome.cancelled || watch?.cancelled === true };
    const status = outcome.timedOut ? 'timed out' : outcome.cancelled ? `cancelled (exit ${outcome.exitCode})` : `exit ${outcome.exitCode}`;
    this.log.info(`[${this.host}] ${status} in ${outcome.durationMs} ms: ${display}`);
    if (outcome.stdout) {
      this.log.debug(`[${this.host}] stdout (${outcome.stdout.length} bytes):\n${truncate(outcome.stdout)}`);
    }
    if (outcome.stderr && outcome.exitCode !== 0) {
      this.log.error(`[${this.host}] stderr: ${truncate(outcome.stderr)}`);
    }
    return outcome;
  }

  /**
   * A short command of the executor's own (a cancel's signal), as root when `root` says so but
   * never asking for a password: only a password already remembered is used. Never throws.
   */
  protected async runControl(argv: readonly string[], root: RootMode, display: string): Promise<void> {
    let full: string[];
    let input: string | undefined;
    let prompt: string | undefined;
    if (root === 'if-available') {
      full = rootIfAvailableArgv(argv);
    } else if (root === false) {
      full = [...argv];
    } else if (this.password !== undefined) {
      prompt = randomPrompt();
      full = sudoPasswordArgv(prompt, argv);
      input = `${this.password}\n`;
    } else {
      full = requireRootArgv(argv);
    }
    try {
      const outcome = await this.execute(full, display, { input, timeoutMs: 10_000 }, root);
      if (outcome.exitCode !== 0) {
        const stderr = prompt ? stripPrompt(outcome.stderr, prompt) : outcome.stderr;
        this.log.error(`[${this.host}] ${display} did not work (exit ${outcome.exitCode})${stderr ? `: ${truncate(stderr)}` : ''}`);
      }
    } catch (err) {
      this.log.error(`[${this.host}] ${display} did not work: ${err instanceof Error ? err.message : String(err)}`);
    }
  }

  private finish(outcome: SpawnOutcome, display: string, options: RunOptions, asRoot: boolean | null): RunResult {
    if (outcome.timedOut) {
      throw this.failure('timeout', display, {
        ...outcome,
        stderr: `no answer within ${options.timeoutMs} ms${outcome.stderr ? `\n${outcome.stderr}` : ''}`,
      });
    }
    if (outcome.cancelled) {
      throw this.failure('cancelled', display, outcome);
    }
    if (outcome.notFound) {
      throw this.failure('not-found', display, { ...outcome, stderr: this.notFoundText(display) });
    }
    const transport = this.transportFailure(outcome);
    if (transport) {
      throw this.failure(transport, display, outcome);
    }
    if (outcome.exitCode !== 0 && !options.allowFailure) {
      throw this.failure(outcome.exitCode === 127 ? 'not-found' : 'exit', display, outcome);
    }
    return {
      stdout: outcome.stdout,
      stderr: outcome.stderr,
      exitCode: outcome.exitCode ?? -1,
      durationMs: outcome.durationMs,
      asRoot,
    };
  }

  /** What to say when the program to start does not exist locally. */
  protected abstract notFoundText(display: string): string;

  protected failure(kind: FailureKind, command: string, outcome: SpawnOutcome): CommandError {
    return new CommandError({
      kind,
      host: this.host,
      command,
      exitCode: outcome.exitCode,
      stdout: outcome.stdout,
      stderr: outcome.stderr,
      durationMs: outcome.durationMs,
      started: outcome.started,
    });
  }
}

function truncate(text: string, max = 4000): string {
  return text.length > max ? `${text.slice(0, max)}... (${text.length - max} more bytes)` : text;
}
