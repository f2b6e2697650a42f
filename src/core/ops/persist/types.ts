/**
 * Persistence: the same change the runtime plan makes with iproute2, written where the host's
 * network manager reads it at boot. Intents here describe the end state, not the steps.
 */
import type { Step } from '../plan';

export type PersistBackend = 'none' | 'networkmanager' | 'networkd' | 'ifupdown' | 'netplan';
export const PERSIST_BACKENDS: readonly PersistBackend[] = ['none', 'networkmanager', 'networkd', 'ifupdown', 'netplan'];

/** A bridge as it should come up at boot: create-bridge and bridge-my-uplink both end here. */
export interface PersistBridge {
  kind: 'bridge';
  bridge: string;
  stp: boolean;
  /** Seconds, 2-30. */
  forwardDelay?: number;
  ports: string[];
  /** CIDR, e.g. 192.168.9.10/24 or fd00::2/64. */
  address?: string;
  gateway?: string;
  dhcp?: boolean;
  /** The bridge's MAC: the uplink's, so DHCP leases survive the reboot too. */
  mac?: string;
}

export interface PersistDeleteBridge {
  kind: 'delete-bridge';
  bridge: string;
  ports: string[];
}

export interface PersistTap {
  kind: 'tap';
  name: string;
  bridge?: string;
}

export type PersistIntent = PersistBridge | PersistDeleteBridge | PersistTap;

/** A file the plan writes, exactly as written (the preview shows this). */
export interface PersistFile {
  path: string;
  contents: string;
  /** Octal permission bits, e.g. '644'. */
  mode: string;
}

export interface PersistResult {
  backend: PersistBackend;
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
