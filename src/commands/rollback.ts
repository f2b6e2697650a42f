/** How long the connectivity guard waits before the host rolls itself back. */
import * as vscode from 'vscode';

/** What the plan's settling time depends on: STP's listening+learning and a DHCP exchange. */
export interface Settle {
  stp?: boolean;
  /** Seconds; the kernel's default of 15 when unknown. */
  forwardDelay?: number;
  dhcp?: boolean;
}

/** The same rule as the CLI: above 2 x forward delay with STP, plus a DHCP exchange, with margin. */
export function automaticRollbackSeconds(settle: Settle): number {
  const stp = settle.stp ? 2 * (settle.forwardDelay ?? 15) : 0;
  return Math.max(30, stp + (settle.dhcp ? 30 : 0) + 20);
}

/** `virtnet.rollbackSeconds`, or the automatic value when it is 0 (the default) or unusable. */
export function rollbackSeconds(settle: Settle): number {
  const set = vscode.workspace.getConfiguration('virtnet').get<number>('rollbackSeconds', 0);
  if (Number.isInteger(set) && set >= 5 && set <= 3600) return set;
  return automaticRollbackSeconds(settle);
}
