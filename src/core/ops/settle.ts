/**
 * How long a host may need after a plan before traffic flows again, and from that the
 * connectivity guard's rollback window. Planners fill in a plan's Settle (they know whether STP
 * or DHCP is involved); this file turns it into seconds, the one place that does.
 */

/** What a change's settling time depends on: STP's listening+learning and a DHCP exchange. */
export interface Settle {
  stp?: boolean;
  /** Seconds; the kernel's default of 15 when unknown. */
  forwardDelay?: number;
  dhcp?: boolean;
  /** Anything else the host must do first (creating SR-IOV VFs can take minutes), in seconds. */
  extraSeconds?: number;
}

/** The kernel's bridge forward delay when none is set. */
export const DEFAULT_FORWARD_DELAY = 15;

/** Seconds a bridge port spends listening and learning before it forwards, with STP on. */
export function stpSeconds(forwardDelay: number | null | undefined): number {
  return 2 * (forwardDelay ?? DEFAULT_FORWARD_DELAY);
}

/** Rollback time above 2 x forward delay with STP, plus a DHCP exchange, with margin; at least 30 s. */
export function automaticRollbackSeconds(settle: Settle): number {
  const stp = settle.stp ? stpSeconds(settle.forwardDelay) : 0;
  return Math.max(30, stp + (settle.dhcp ? 30 : 0) + (settle.extraSeconds ?? 0) + 20);
}

/** The rollback window a user setting asks for, if usable (5-3600 s); else the automatic one. */
export function rollbackSecondsFor(settle: Settle, setting?: number): number {
  if (setting !== undefined && Number.isInteger(setting) && setting >= 5 && setting <= 3600) return setting;
  return automaticRollbackSeconds(settle);
}
