/**
 * Starts one local process from an argv (no shell) and collects its output. Both executors end
 * here: the SSH executor only rewrites the argv into an `ssh ... -- dest command` prefix.
 */
import { execa } from 'execa';

export interface SpawnOptions {
  input?: string;
  timeoutMs?: number;
  signal?: AbortSignal;
  env?: Record<string, string>;
}

export interface SpawnOutcome {
  stdout: string;
  stderr: string;
  /** null when the process never ran or was killed by a signal. */
  exitCode: number | null;
  durationMs: number;
  timedOut: boolean;
  cancelled: boolean;
  /** The program itself does not exist locally (ENOENT). */
  notFound: boolean;
}

export async function spawnArgv(argv: readonly string[], options: SpawnOptions = {}): Promise<SpawnOutcome> {
  const [file, ...args] = argv;
  if (!file) {
    throw new Error('empty command');
  }
  const started = performance.now();
  const result = await execa(file, args, {
    reject: false,
    stripFinalNewline: false,
    // Input is always a string we own; without it, stdin is closed so nothing waits on a tty.
    input: options.input ?? '',
    timeout: options.timeoutMs,
    cancelSignal: options.signal,
    forceKillAfterDelay: 2000,
    env: { LC_ALL: 'C', ...options.env },
    maxBuffer: 256 * 1024 * 1024,
  });
  const errno = (result as { code?: unknown }).code;
  return {
    stdout: typeof result.stdout === 'string' ? result.stdout : '',
    stderr: typeof result.stderr === 'string' ? result.stderr : '',
    exitCode: typeof result.exitCode === 'number' ? result.exitCode : null,
    durationMs: Math.round(performance.now() - started),
    timedOut: result.timedOut === true,
    cancelled: result.isCanceled === true,
    notFound: errno === 'ENOENT',
  };
}
