/**
 * The executor contract: run an argv on a host and get its output. Local and SSH executors
 * implement it; everything above (collector, applier, CLI, extension) only sees this.
 */

export interface RunOptions {
  /** Text written to the command's stdin (scripts that ship with VirtNet, never secrets in logs). */
  input?: string;
  /** Kill the command (and, over SSH, the remote side) after this many milliseconds. */
  timeoutMs?: number;
  /**
   * Cancels the command: its processes on the host get TERM (over SSH through a second, short
   * command on the same connection, as root when the command ran as root), again every couple of
   * seconds, and KILL once `cancelGraceMs` has passed. The run then rejects with a CommandError
   * of kind `cancelled` carrying whatever the command said and its exit code if it ended by itself.
   */
  signal?: AbortSignal;
  /**
   * How long a cancelled command may take to end by itself (a plan script undoing its steps)
   * before it is killed. Default 5000 ms.
   */
  cancelGraceMs?: number;
  /**
   * Root: `false` runs as the login user; `true` requires root (sudo -n, then the password
   * provider); `'if-available'` uses root when it needs no password, else runs unprivileged.
   */
  root?: boolean | 'if-available';
  /** Resolve with a non-zero exit code instead of throwing (the caller reads `exitCode`). */
  allowFailure?: boolean;
  /** Shown in the log instead of the full argv (e.g. "collector script" for `bash -s`). */
  label?: string;
  /** Told each piece of the command's stderr as it arrives (a plan's progress); collected as well. */
  onStderr?: (chunk: string) => void;
}

export interface RunResult {
  stdout: string;
  stderr: string;
  exitCode: number;
  durationMs: number;
  /** Whether the command ran as root; null for `root: 'if-available'`, where only the command knows. */
  asRoot: boolean | null;
}

export interface Executor {
  /** The destination as the user named it: `local` or an SSH destination. */
  readonly host: string;
  readonly kind: 'local' | 'ssh';
  run(argv: readonly string[], options?: RunOptions): Promise<RunResult>;
  /** Closes what the executor keeps open (the SSH master connection). */
  dispose(): Promise<void>;
}

/** Where every command is reported; the CLI prints to stderr with --verbose, the extension logs. */
export interface CommandLog {
  info(message: string): void;
  debug(message: string): void;
  error(message: string): void;
}

export const silentLog: CommandLog = { info() {}, debug() {}, error() {} };

/** Asks the user for the sudo password of a host; resolves undefined when they decline. */
export type PasswordProvider = (host: string, prompt: string) => Promise<string | undefined>;
