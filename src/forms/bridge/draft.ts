/**
 * The bridge form's own part of the protocol (Create Bridge / Bridge My Uplink): its draft, what
 * it needs to draw itself, and their guards. Imported by both sides; no `vscode`, no Node.
 */
import { PERSIST_BACKENDS, type PersistBackend } from '../../core/ops/persist/types';
import { isBool, isObj, isStr, isStrArray, isText, oneOf } from '../protocol';

export type FormMode = 'create' | 'uplink';
export type Addressing = 'dhcp' | 'static';

/** What the user has typed so far; kept as text so a half-typed value survives a reload. */
export interface Draft {
  mode: FormMode;
  bridge: string;
  stp: boolean;
  /** Seconds as typed; empty means the kernel's default. */
  forwardDelay: string;
  /** Create mode: interfaces to enslave. */
  ports: string[];
  /** Uplink mode: the NIC whose addresses move to the bridge. */
  nic: string;
  addressing: Addressing;
  address: string;
  gateway: string;
  /** Runtime only ('none'), or also saved through this network manager. */
  persist: PersistBackend;
}

/** An interface the form may offer, with the facts shown beside its name. */
export interface Iface {
  name: string;
  detail: string;
}

/** What the bridge form draws from: the host's interfaces and its DHCP client. */
export interface BridgeFormData {
  /** Interfaces free to become ports (create mode). */
  ports: Iface[];
  /** NICs that can be bridged (uplink mode). */
  nics: Iface[];
  /** Names already taken on the host, for live "already exists" checks. */
  taken: string[];
  dhcpClient: string | null;
}

export function isDraft(v: unknown): v is Draft {
  return (
    isObj(v) &&
    oneOf(v.mode, ['create', 'uplink'] as const) &&
    isText(v.bridge) &&
    isBool(v.stp) &&
    isText(v.forwardDelay) &&
    isStrArray(v.ports) &&
    v.ports.length <= 256 &&
    v.ports.every(isText) &&
    isText(v.nic) &&
    oneOf(v.addressing, ['dhcp', 'static'] as const) &&
    isText(v.address) &&
    isText(v.gateway) &&
    oneOf(v.persist, PERSIST_BACKENDS)
  );
}

const isIface = (v: unknown): v is Iface => isObj(v) && isStr(v.name) && isStr(v.detail);

export function isBridgeFormData(v: unknown): v is BridgeFormData {
  return (
    isObj(v) &&
    Array.isArray(v.ports) &&
    v.ports.every(isIface) &&
    Array.isArray(v.nics) &&
    v.nics.every(isIface) &&
    isStrArray(v.taken) &&
    (v.dhcpClient === null || isStr(v.dhcpClient))
  );
}

export function emptyDraft(mode: FormMode = 'create'): Draft {
  return { mode, bridge: '', stp: false, forwardDelay: '', ports: [], nic: '', addressing: 'dhcp', address: '', gateway: '', persist: 'none' };
}
