/** How long the connectivity guard waits before the host rolls itself back. */
import * as vscode from 'vscode';
import { automaticRollbackSeconds, type Settle } from '../core/ops/settle';

export type { Settle };

/** `virtnet.rollbackSeconds`, or the automatic value when it is 0 (the default) or unusable. */
export function rollbackSeconds(settle: Settle): number {
  const set = vscode.workspace.getConfiguration('virtnet').get<number>('rollbackSeconds', 0);
  if (Number.isInteger(set) && set >= 5 && set <= 3600) return set;
  return automaticRollbackSeconds(settle);
}
