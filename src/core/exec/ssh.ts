/**
 * Runs commands on an SSH destination through the system OpenSSH client, so the user's ssh
 * config, keys, agent, ProxyJump and known_hosts all apply. One multiplexed master connection per
 * host stays up between calls; each command is a channel on it. The executor is only a prefix:
 * `ssh [options] -- <destination> <one quoted command line>`.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { signalRunArgv, taggedArgv, type CancelSignal } from './cancel';
import { BaseExecutor, type CancellableRun, type ExecutorOptions } from './executor';
import type { FailureKind } from './errors';
import { shJoin } from './quote';
import { spawnArgv, type SpawnOutcome } from './spawn';

export interface SshOptions extends ExecutorOptions {
  /** An ssh config file to use instead of ~/.ssh/config (`ssh -F`). */
  configFile?: string;
  /** Seconds to wait for the TCP connection and SSH handshake. Default 10. */
  connectTimeoutSec?: number;
  /** Seconds the master connection lingers after the last command. Default 300. */
  persistSec?: number;
  /** Folder for the control sockets; must be private to this user. */
  controlDir?: string;
}

/** Rejects destinations ssh would read as options or that carry whitespace/control bytes. */
export function validateSshDestination(dest: string): string | null {
  if (dest.length === 0) {
    return 'the SSH destination is empty';
  }
  if (dest.length > 255) {
    return 'the SSH destination is longer than 255 characters';
  }
  if (dest.startsWith('-')) {
    return `the SSH destination "${dest}" starts with "-" and would be read as an option`;
  }
  if (/[\s\x00-\x1f\x7f]/.test(dest)) {
    return `the SSH destination ${JSON.stringify(dest)} contains whitespace or control characters`;
  }
  return null;
}

let defaultControlDir: string | undefined;

/** A per-process private folder (mode 0700) for control sockets; paths stay short for AF_UNIX. */
function controlDirectory(): string {
  if (!defaultControlDir) {
    const uid = typeof process.getuid === 'function' ? process.getuid() : 0;
    defaultControlDir = join(tmpdir(), `virtnet-${uid}-${process.pid}`);
    mkdirSync(defaultControlDir, { recursive: true, mode: 0o700 });
  }
  return defaultControlDir;
}

export class SshExecutor extends BaseExecutor {
  readonly kind = 'ssh' as const;
  private readonly controlPath: string;
  /** A control folder this executor made for itself (fresh connections) and removes on dispose. */
  private ownDir: string | undefined;

  constructor(
    readonly destination: string,
    private readonly ssh: SshOptions = {},
  ) {
    super(destination, ssh);
    const invalid = validateSshDestination(destination);
    if (invalid) {
      throw new Error(invalid);
    }
    const dir = ssh.controlDir ?? controlDirectory();
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    // %C is a hash of host, port, user and ProxyJump: one socket per real connection.
    this.controlPath = join(dir, '%C');
  }

  /** Options shared by commands and by the control requests (`-O exit`). */
  private baseOptions(): string[] {
    const opts: string[] = [];
    if (this.ssh.configFile) {
      opts.push('-F', this.ssh.configFile);
    }
    opts.push('-o', 'BatchMode=yes', '-o', `ConnectTimeout=${this.ssh.connectTimeoutSec ?? 10}`, '-o', `ControlPath=${this.controlPath}`);
    return opts;
  }

  protected transport(argv: readonly string[], timeoutMs: number | undefined, tag: string | undefined): string[] {
    // A remote `timeout` ends the remote work too when our own time limit fires: killing the
    // local client alone would leave it running on the host. It stays outside the tagged
    // wrapper, so a cancel never signals it (it would arm its own KILL, cutting a plan's undo).
    const tagged = tag ? taggedArgv(tag, argv) : [...argv];
    const remote = timeoutMs ? ['timeout', '-k', '5', String(Math.ceil(timeoutMs / 1000) + 1), ...tagged] : tagged;
    return [
      'ssh',
      ...this.baseOptions(),
      '-o',
      'ControlMaster=auto',
      '-o',
      `ControlPersist=${this.ssh.persistSec ?? 300}`,
      '-o',
      'ServerAliveInterval=10',
      '-o',
      'ServerAliveCountMax=3',
      '-T',
      '--',
      this.destination,
      shJoin(remote),
    ];
  }

  protected transportFailure(outcome: SpawnOutcome): FailureKind | null {
    return classifySshFailure(outcome.exitCode, outcome.stderr);
  }

  /**
   * A second command over the same master connection signals the run on the host (see
   * cancel.ts), with the rights the run had: a root command's processes need root to signal.
   */
  protected async interrupt(run: CancellableRun, signal: CancelSignal): Promise<void> {
    if (!run.tag) return;
    await this.runControl(signalRunArgv(run.tag, signal), run.root, `cancel (${signal}): ${run.display}`);
  }

  protected notFoundText(): string {
    return 'the OpenSSH client (ssh) is not installed on this machine';
  }

  /**
   * The same destination and options over a brand-new connection (its own control socket, so a
   * new TCP connection and handshake): what the connectivity guard needs to prove the host is
   * still reachable after a change.
   */
  freshConnection(): SshExecutor {
    const dir = mkdtempSync(join(tmpdir(), 'virtnet-fresh-'));
    const fresh = new SshExecutor(this.destination, { ...this.ssh, controlDir: dir, connectTimeoutSec: Math.min(this.ssh.connectTimeoutSec ?? 10, 5) });
    fresh.ownDir = dir;
    return fresh;
  }

  async dispose(): Promise<void> {
    this.forgetPassword();
    // Stops the master by asking it to exit; harmless when none is running.
    await spawnArgv(['ssh', ...this.baseOptions(), '-O', 'exit', '--', this.destination], { timeoutMs: 5000 });
    if (this.ownDir) {
      rmSync(this.ownDir, { recursive: true, force: true });
    }
  }
}

/** Reads OpenSSH's own messages (exit 255) to tell transport failures from the command's. */
export function classifySshFailure(exitCode: number | null, stderr: string): FailureKind | null {
  if (exitCode !== 255) {
    return null;
  }
  if (/Host key verification failed|REMOTE HOST IDENTIFICATION HAS CHANGED|No \S+ host key is known/.test(stderr)) {
    return 'hostkey';
  }
  if (/Permission denied \(|Too many authentication failures|No more authentication methods/i.test(stderr)) {
    return 'auth';
  }
  if (
    /^ssh: |Connection (refused|timed out|closed|reset)|No route to host|Network is unreachable|kex_exchange_identification|banner exchange|Could not resolve|mux_client|Timeout, server .* not responding|client_loop: |Broken pipe/m.test(
      stderr,
    )
  ) {
    return 'unreachable';
  }
  return null;
}
