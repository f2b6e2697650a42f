/**
 * The Create Network form's own part of the protocol: its draft, what it needs to draw itself,
 * and their guards. Imported by both sides; no `vscode`, no Node.
 */
import { FORWARD_MODES, type ForwardMode } from '../../core/ops/libvirt/networkCreate';
import { isBool, isObj, isStr, isStrArray, isText, oneOf } from '../protocol';

/** What the user has typed so far, as typed, so a half-typed value survives a reload. */
export interface Draft {
  name: string;
  forward: ForwardMode;
  /** Uplink (nat, route), host bridge (bridge) or host NIC (macvtap); '' for none. */
  dev: string;
  /** '' for the first free virbrN. */
  bridgeName: string;
  stp: boolean;
  /** Seconds as typed; '' for libvirt's 0. */
  delay: string;
  address: string;
  /** One `START-END` per line. */
  dhcpRanges: string[];
  /** One `MAC,IP[,NAME]` per line. */
  dhcpHosts: string[];
  ipv6: string;
  ipv6Ranges: string[];
  domain: string;
  /** DNS servers, separated by spaces or commas, as typed. */
  forwarders: string;
  /** As typed; '' for the kernel's default. */
  mtu: string;
  isolatePorts: boolean;
  autostart: boolean;
}

/** A choice with the facts shown beside its name. */
export interface Choice {
  name: string;
  detail: string;
}

/** What the form draws from: the devices each mode can use, the names taken, a free subnet. */
export interface NetworkFormData {
  /** Per forward mode, the devices it can use. */
  devices: Partial<Record<ForwardMode, Choice[]>>;
  modes: Choice[];
  /** The host's libvirt networks, for the live "already exists". */
  networks: string[];
  /** Interface and libvirt bridge names in use. */
  taken: string[];
  /** The bridge libvirt would get when none is named. */
  freeBridge: string;
  /** A /24 no interface, route or network on the host uses, as the address placeholder. */
  freeSubnet: string;
}

const MAX_LINES = 64;
const isLines = (v: unknown): v is string[] => isStrArray(v) && v.length <= MAX_LINES && v.every(isText);

export function isDraft(v: unknown): v is Draft {
  return (
    isObj(v) &&
    isText(v.name) &&
    oneOf(v.forward, FORWARD_MODES) &&
    isText(v.dev) &&
    isText(v.bridgeName) &&
    isBool(v.stp) &&
    isText(v.delay) &&
    isText(v.address) &&
    isLines(v.dhcpRanges) &&
    isLines(v.dhcpHosts) &&
    isText(v.ipv6) &&
    isLines(v.ipv6Ranges) &&
    isText(v.domain) &&
    isText(v.forwarders) &&
    isText(v.mtu) &&
    isBool(v.isolatePorts) &&
    isBool(v.autostart)
  );
}

const isChoice = (v: unknown): v is Choice => isObj(v) && isStr(v.name) && isStr(v.detail);
const isChoices = (v: unknown): v is Choice[] => Array.isArray(v) && v.every(isChoice);

export function isNetworkFormData(v: unknown): v is NetworkFormData {
  return (
    isObj(v) &&
    isObj(v.devices) &&
    Object.entries(v.devices).every(([k, list]) => oneOf(k, FORWARD_MODES) && isChoices(list)) &&
    isChoices(v.modes) &&
    isStrArray(v.networks) &&
    isStrArray(v.taken) &&
    isStr(v.freeBridge) &&
    isStr(v.freeSubnet)
  );
}

export function emptyDraft(): Draft {
  return {
    name: '',
    forward: 'nat',
    dev: '',
    bridgeName: '',
    stp: true,
    delay: '',
    address: '',
    dhcpRanges: [],
    dhcpHosts: [],
    ipv6: '',
    ipv6Ranges: [],
    domain: '',
    forwarders: '',
    mtu: '',
    isolatePorts: false,
    autostart: true,
  };
}
