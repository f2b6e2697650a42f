/**
 * Errors that say what happened: host, escaped command, exit code, stderr first, cause kept.
 */

/** Why a command did not give a usable result. */
export type FailureKind =
  /** The command ran and exited non-zero. */
  | 'exit'
  /** The host could not be reached (DNS, refused, no route, connect timeout). */
  | 'unreachable'
  /** The SSH server refused our credentials. */
  | 'auth'
  /** The host's key is unknown or changed. */
  | 'hostkey'
  /** Our own time limit ran out. */
  | 'timeout'
  /** The caller aborted. */
  | 'cancelled'
  /** sudo wanted a password we did not have, or rejected it. */
  | 'sudo'
  /** The program to run does not exist. */
  | 'not-found';

export interface CommandFailure {
  kind: FailureKind;
  host: string;
  /** Display form of the argv, shell-escaped, never containing secrets. */
  command: string;
  exitCode: number | null;
  stdout: string;
  stderr: string;
  durationMs: number;
  /** false: the command was never started (e.g. cancelled before), so nothing ran on the host. */
  started?: boolean;
}

export class CommandError extends Error implements CommandFailure {
  readonly kind: FailureKind;
  readonly host: string;
  readonly command: string;
  readonly exitCode: number | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly durationMs: number;
  readonly started: boolean;

  constructor(failure: CommandFailure, options?: { cause?: unknown }) {
    super(describeFailure(failure), options);
    this.name = 'CommandError';
    this.kind = failure.kind;
    this.host = failure.host;
    this.command = failure.command;
    this.exitCode = failure.exitCode;
    this.stdout = failure.stdout;
    this.stderr = failure.stderr;
    this.durationMs = failure.durationMs;
    this.started = failure.started ?? true;
  }
}

/** First meaningful stderr line, which is what a user needs to see first. */
export function firstLine(text: string): string {
  const line = text
    .split('\n')
    .map((l) => l.trim())
    .find((l) => l.length > 0);
  return line ?? '';
}

const kindText: Record<FailureKind, string> = {
  exit: 'failed',
  unreachable: 'host unreachable',
  auth: 'SSH authentication refused',
  hostkey: 'SSH host key not trusted',
  timeout: 'timed out',
  cancelled: 'cancelled',
  sudo: 'root access refused',
  'not-found': 'program not found',
};

export function describeFailure(f: CommandFailure): string {
  const why = firstLine(f.stderr);
  const code = f.exitCode === null ? '' : ` (exit ${f.exitCode})`;
  return `${f.host}: ${kindText[f.kind]}${code}${why ? `: ${why}` : ''} [${f.command}]`;
}

/** A one-line reason suitable for a CLI's stderr or a tree node's label. */
export function oneLineReason(err: unknown): string {
  if (err instanceof CommandError) {
    const why = firstLine(err.stderr);
    return `${err.host}: ${kindText[err.kind]}${why ? `: ${why}` : ''}`;
  }
  return err instanceof Error ? err.message : String(err);
}
