/**
 * What both executors share: root handling, logging of every command, and turning outcomes into
 * results or CommandErrors. Subclasses only say how an argv reaches the host (a prefix) and how
 * to read transport failures.
 */
import { CommandError, type FailureKind } from './errors';
import { shJoin } from './quote';
import {
  randomPrompt,
  requireRootArgv,
  rootIfAvailableArgv,
  stripPrompt,
  sudoMissing,
  sudoPasswordArgv,
  sudoValidateArgv,
  sudoWantsPassword,
} from './root';
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

  /** Turns the argv meant for the host into the local argv that gets it there. */
  protected abstract transport(argv: readonly string[], timeoutMs: number | undefined): string[];

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
      const outcome = await this.execute(rootIfAvailableArgv(argv), display, options);
      return this.finish(outcome, display, options, null);
    }
    if (root === false) {
      return this.finish(await this.execute(argv, display, options), display, options, false);
    }

    if (this.password === undefined) {
      const outcome = await this.execute(requireRootArgv(argv), `${display} (as root)`, options);
      if (sudoMissing(outcome.exitCode, outcome.stderr)) {
        throw this.failure('sudo', display, { ...outcome, stderr: `root is needed and sudo is not installed on ${this.host}\n${outcome.stderr}` });
      }
      if (!sudoWantsPassword(outcome.exitCode, outcome.stderr)) {
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
      });
    }
    // Validate first: a wrong password must not make sudo read the command's own stdin as retries.
    const prompt = randomPrompt();
    const check = await this.execute(sudoValidateArgv(prompt), 'sudo -v (password check)', { ...options, input: `${entered}\n` });
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
    const outcome = await this.execute(sudoPasswordArgv(prompt, argv), `${display} (as root, sudo -S)`, { ...options, input });
    const cleaned = { ...outcome, stderr: stripPrompt(outcome.stderr, prompt) };
    if (/incorrect password|Sorry, try again/.test(cleaned.stderr) && outcome.exitCode === 1) {
      this.forgetPassword();
      throw this.failure('sudo', display, cleaned);
    }
    return this.finish(cleaned, `${display} (as root)`, options, true);
  }

  /** Runs through the transport and logs; never throws for a non-zero exit. */
  private async execute(argv: readonly string[], display: string, options: RunOptions): Promise<SpawnOutcome> {
    this.log.info(`[${this.host}] $ ${display}`);
    const outcome = await spawnArgv(this.transport(argv, options.timeoutMs), {
      input: options.input,
      timeoutMs: options.timeoutMs,
      signal: options.signal,
    });
    const status = outcome.timedOut ? 'timed out' : outcome.cancelled ? 'cancelled' : `exit ${outcome.exitCode}`;
    this.log.info(`[${this.host}] ${status} in ${outcome.durationMs} ms: ${display}`);
    if (outcome.stdout) {
      this.log.debug(`[${this.host}] stdout (${outcome.stdout.length} bytes):\n${truncate(outcome.stdout)}`);
    }
    if (outcome.stderr && outcome.exitCode !== 0) {
      this.log.error(`[${this.host}] stderr: ${truncate(outcome.stderr)}`);
    }
    return outcome;
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
    });
  }
}

function truncate(text: string, max = 4000): string {
  return text.length > max ? `${text.slice(0, max)}... (${text.length - max} more bytes)` : text;
}
