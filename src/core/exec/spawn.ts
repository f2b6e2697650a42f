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
  /** Start the process as the leader of a new session (and process group), so the whole group can be signalled. */
  detached?: boolean;
  /**
   * The run was cancelled: once this is aborted and the process has exited, its pipes are read for
   * at most a second more. Without it (or `signal`), output is read until every writer closes it.
   */
  cancelled?: AbortSignal;
  /** Told the process id as soon as the process exists. */
  onSpawn?: (pid: number) => void;
  /** Told each piece of stderr as it arrives (it is collected as well). */
  onStderr?: (chunk: string) => void;
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
  /** false when nothing was started (cancelled before, or the program does not exist). */
  started: boolean;
}

/** After a cancelled process exited, how long its pipes may stay open before we stop reading. */
const PIPE_GRACE_MS = 1000;

export async function spawnArgv(argv: readonly string[], options: SpawnOptions = {}): Promise<SpawnOutcome> {
  const [file, ...args] = argv;
  if (!file) {
    throw new Error('empty command');
  }
  const t0 = performance.now();
  const child = execa(file, args, {
    reject: false,
    stripFinalNewline: false,
    // Input is always a string we own; without it, stdin is closed so nothing waits on a tty.
    input: options.input ?? '',
    timeout: options.timeoutMs,
    cancelSignal: options.signal,
    forceKillAfterDelay: 2000,
    env: { LC_ALL: 'C', ...options.env },
    maxBuffer: 256 * 1024 * 1024,
    detached: options.detached ?? false,
  });
  if (child.pid !== undefined) {
    options.onSpawn?.(child.pid);
  }
  const onStderr = options.onStderr;
  if (onStderr) child.stderr?.on('data', (b: Buffer) => onStderr(b.toString('utf8')));
  // An ssh multiplexing client hands its stdout/stderr to the master connection, which keeps
  // writing to them until the remote command ends: once a cancelled client is dead, stop waiting
  // for those pipes to close (whatever arrived by then is kept).
  let release: NodeJS.Timeout | undefined;
  const stopReading = () => {
    if (release) return;
    const drop = () => {
      release ??= setTimeout(() => {
        child.stdout?.destroy();
        child.stderr?.destroy();
      }, PIPE_GRACE_MS);
    };
    if (child.exitCode !== null || child.signalCode !== null) drop();
    else child.once('exit', drop);
  };
  const watched = [options.signal, options.cancelled].filter((s) => s !== undefined);
  for (const s of watched) s.addEventListener('abort', stopReading, { once: true });
  let result;
  try {
    result = await child;
  } finally {
    clearTimeout(release);
    for (const s of watched) s.removeEventListener('abort', stopReading);
  }
  const errno = (result as { code?: unknown }).code;
  return {
    stdout: typeof result.stdout === 'string' ? result.stdout : '',
    stderr: typeof result.stderr === 'string' ? result.stderr : '',
    exitCode: typeof result.exitCode === 'number' ? result.exitCode : null,
    durationMs: Math.round(performance.now() - t0),
    timedOut: result.timedOut === true,
    cancelled: result.isCanceled === true,
    notFound: errno === 'ENOENT',
    started: errno !== 'ENOENT',
  };
}
