/**
 * A guard confirmed by something other than a fresh SSH connection. When VirtNet runs on the
 * host it changes (the CLI in an SSH session on the host, the extension under Remote-SSH), no
 * new connection from here proves the way in still works; the person at the other end can.
 * `confirm` is that proof: a round trip to the VS Code window, or Enter typed in the terminal
 * the session carries. Until `deadline` every run needs it first and fails as `unreachable`
 * without it; after the deadline the host has acted on its own, and runs go straight to it
 * (reading what the rollback did needs nobody).
 */
import { CommandError } from '../exec/errors';
import type { Executor, RunOptions, RunResult } from '../exec/types';

/** Resolves once the other end has answered within `ms`; rejects (with why) otherwise. */
export type Confirm = (ms: number, options: { timeoutMs?: number }) => Promise<void>;

export function confirmedExecutor(local: Executor, deadline: number, confirm: Confirm, what: string): Executor {
  return {
    host: local.host,
    kind: local.kind,
    async run(argv: readonly string[], options: RunOptions = {}): Promise<RunResult> {
      const left = deadline - Date.now();
      if (left > 0) {
        const started = Date.now();
        try {
          await confirm(left, { timeoutMs: options.timeoutMs });
        } catch (err) {
          throw new CommandError({
            kind: 'unreachable',
            host: local.host,
            command: what,
            exitCode: null,
            stdout: '',
            stderr: err instanceof Error ? err.message : String(err),
            durationMs: Date.now() - started,
          });
        }
      }
      return local.run(argv, options);
    },
    // The caller owns the local executor; the guard disposing a "fresh" one must not close it.
    dispose: async () => {},
  };
}
