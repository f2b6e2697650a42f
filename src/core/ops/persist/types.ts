/**
 * Persistence: the same change the runtime plan makes with iproute2, written where the host's
 * network manager reads it at boot. Intents here describe the end state, not the steps.
 */
import type { Step } from '../plan';

export type PersistBackend = 'none' | 'networkmanager' | 'networkd' | 'ifupdown' | 'netplan';
export const PERSIST_BACKENDS: readonly PersistBackend[] = ['none', 'networkmanager', 'networkd', 'ifupdown', 'netplan'];

/** What every intent may carry: facts found while building it, shown as warnings with the plan. */
interface Noted {
  notes?: string[];
}

/**
 * A bridge as it should come up at boot, complete: create-bridge and bridge-my-uplink end here,
 * and so does every change to an existing bridge (its whole end state, rewritten).
 */
export interface PersistBridge extends Noted {
  kind: 'bridge';
  bridge: string;
  stp: boolean;
  /** Seconds, 2-30. */
  forwardDelay?: number;
  vlanFiltering?: boolean;
  ports: string[];
  /** Static addresses, CIDR (192.168.9.10/24, fd00::2/64), in the order they are configured. */
  addresses: string[];
  /** Default gateway, of the same family as one of the addresses. */
  gateway?: string;
  /** IPv4 DHCP (static addresses, if any, are added next to the lease). */
  dhcp?: boolean;
  /** The bridge's MAC: the uplink's, so DHCP leases survive the reboot too. */
  mac?: string;
  /**
   * Set when the bridge exists already: VirtNet's config for it is replaced rather than added
   * (an existing NetworkManager profile is modified), and the per-port config of `dropPorts`
   * (ports it had before) is removed.
   */
  rewrite?: { dropPorts: string[] };
}

export interface PersistDeleteBridge extends Noted {
  kind: 'delete-bridge';
  bridge: string;
  ports: string[];
}

export interface PersistTap extends Noted {
  kind: 'tap';
  name: string;
  bridge?: string;
}

/** Removes a tap's own config, and its port config on `bridge` when it is plugged into one. */
export interface PersistDeleteTap extends Noted {
  kind: 'delete-tap';
  name: string;
  bridge?: string;
}

export type PersistIntent = PersistBridge | PersistDeleteBridge | PersistTap | PersistDeleteTap;

/** A file the plan writes, exactly as written (the preview shows this). */
export interface PersistFile {
  path: string;
  contents: string;
  /** Octal permission bits, e.g. '644'. */
  mode: string;
}

export interface PersistResult {
  backend: PersistBackend;
  /**
   * Read-only checks on the host (another config already defines these interfaces...). They
   * change nothing, so withPersistence runs them before the runtime steps: a refusal there
   * leaves nothing to undo.
   */
  checks: Step[];
  steps: Step[];
  files: PersistFile[];
  /** Files the plan removes (each backed up first). */
  removes: string[];
  warnings: string[];
}

export interface PersistOptions {
  /** Time stamp of the backups; injected so planning stays pure and tests stay exact. */
  now?: Date;
}
