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
import type { Executor } from '../core/exec/types';
import { confirmedExecutor } from '../core/ops/confirmed';

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

/** The guard's confirmation for this host under a remote window: the window's round trip. */
export function windowConfirmedExecutor(local: Executor, deadline: number, log: (m: string) => void): Executor {
  return confirmedExecutor(
    local,
    deadline,
    async (left, { timeoutMs }) => {
      const ms = await windowRoundTrip(Math.max(1000, Math.min(timeoutMs ?? 10_000, left)));
      log(`the VS Code window answered in ${ms} ms`);
    },
    'round trip to the VS Code window',
  );
}
