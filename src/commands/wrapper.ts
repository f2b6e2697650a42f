/**
 * The one wrapper every command runs through: it logs the call, ignores cancellation, and turns
 * any other error into one message with a "Show Log" button (never a pop-up per host).
 */
import * as vscode from 'vscode';
import { CommandError, oneLineReason } from '../core/exec/errors';
import { Cancelled, type CommandContext } from '../flow/context';

export interface CommandSpec {
  id: string;
  /** Arguments are whatever VS Code passes: a tree node, a host name, or nothing from the palette. */
  run: (ctx: CommandContext, ...args: unknown[]) => unknown;
}

function isCancellation(err: unknown): boolean {
  return err instanceof Cancelled || err instanceof vscode.CancellationError || (err instanceof CommandError && err.kind === 'cancelled');
}

export function registerCommandTable(ctx: CommandContext, table: readonly CommandSpec[]): vscode.Disposable[] {
  return table.map((spec) =>
    vscode.commands.registerCommand(spec.id, async (...args: unknown[]) => {
      ctx.log.debug(`command ${spec.id}`);
      try {
        return await spec.run(ctx, ...args);
      } catch (err) {
        if (isCancellation(err)) {
          ctx.log.debug(`command ${spec.id} cancelled`);
          return undefined;
        }
        ctx.log.error(`command ${spec.id} failed: ${err instanceof Error ? err.message : String(err)}`);
        // Not awaited: the command settles now, the message stays until the user acts on it.
        void vscode.window.showErrorMessage(`VirtNet: ${oneLineReason(err)}`, 'Show Log').then((choice) => {
          if (choice === 'Show Log') ctx.log.show(true);
        });
        return undefined;
      }
    }),
  );
}
