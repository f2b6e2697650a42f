/** How long the connectivity guard waits before the host rolls itself back. */
import * as vscode from 'vscode';
import { rollbackSecondsFor, type Settle } from '../core/ops/settle';

/** `virtnet.rollbackSeconds` when set (5-3600), else the automatic value for the plan's settling. */
export function rollbackSeconds(settle: Settle): number {
  const set = vscode.workspace.getConfiguration('virtnet').get<number>('rollbackSeconds', 0);
  return rollbackSecondsFor(settle, set === 0 ? undefined : set);
}
