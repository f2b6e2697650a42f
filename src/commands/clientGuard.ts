/**
 * The connectivity guard for "this host" when VS Code is remote (Remote-SSH, a VS Code server):
 * the extension runs on the host it changes, so no fresh SSH connection from here proves
 * anything. What must survive the change is the connection between the user's window and this
 * extension host. So the guard's "fresh connection" becomes: a round trip to the window (the
 * workbench answers it), then the disarm runs here. If the old connection broke, VS Code
 * reconnects by itself (Remote-SSH opens a new SSH connection); the round trip completes only
 * when the window can reach the host again. If it cannot before the deadline, the host rolls
 * itself back, the window reconnects, and the outcome is shown then.
 */
import * as vscode from 'vscode';
import { CommandError } from '../core/exec/errors';
import type { Executor, RunOptions, RunResult } from '../core/exec/types';

/**
 * One request the window must answer. `asExternalUri` is resolved by the workbench (the window's
 * side of the connection) and has no side effect for a non-localhost https URI: nothing is
 * forwarded or opened.
 */
async function windowRoundTrip(timeoutMs: number): Promise<number> {
  const started = Date.now();
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`the VS Code window did not answer within ${Math.round(timeoutMs / 1000)} s`)), timeoutMs);
  });
  try {
    await Promise.race([vscode.env.asExternalUri(vscode.Uri.parse('https://virtnet.invalid/guard-check')), timeout]);
    return Date.now() - started;
  } finally {
    clearTimeout(timer);
  }
}

/**
 * The executor the guard confirms through: before `deadline` (epoch ms) each run first needs the
 * window's answer, and fails as `unreachable` without it; after the deadline the host has acted
 * on its own and runs go straight to the host (reading what it did needs no window).
 */
export function windowConfirmedExecutor(local: Executor, deadline: number, log: (m: string) => void): Executor {
  return {
    host: local.host,
    kind: local.kind,
    async run(argv: readonly string[], options: RunOptions = {}): Promise<RunResult> {
      if (Date.now() < deadline) {
        const limit = Math.max(1000, Math.min(options.timeoutMs ?? 10_000, deadline - Date.now()));
        try {
          const ms = await windowRoundTrip(limit);
          log(`the VS Code window answered in ${ms} ms`);
        } catch (err) {
          throw new CommandError({
            kind: 'unreachable',
            host: local.host,
            command: 'round trip to the VS Code window',
            exitCode: null,
            stdout: '',
            stderr: err instanceof Error ? err.message : String(err),
            durationMs: limit,
          });
        }
      }
      return local.run(argv, options);
    },
    // The session owns the local executor; the guard's dispose of a "fresh" one must not close it.
    dispose: async () => {},
  };
}
