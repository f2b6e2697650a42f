/**
 * Reading libvirt XML into plain values: one parser set up for libvirt's formats, and small typed
 * readers that turn an absent attribute into null (never a guessed default).
 */
import { XMLParser } from 'fast-xml-parser';

// Elements that may repeat are always arrays, so one and many look the same to the code. A name
// that repeats in one place and not in another (`address`) is an array only where it repeats.
const REPEATS = new Set(['ip', 'range', 'host', 'interface', 'hostdev', 'route', 'forwarder', 'txt', 'srv', 'hostname', 'portgroup', 'tag']);
const REPEATS_AT = new Set(['network.forward.address']);

const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '@',
  parseAttributeValue: false,
  parseTagValue: false,
  isArray: (name, jpath) => REPEATS.has(name) || REPEATS_AT.has(String(jpath)),
});

export type Node = Record<string, unknown>;

export function parseXml(text: string): Node {
  return parser.parse(text) as Node;
}

export function obj(v: unknown): Node {
  return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Node) : {};
}

/** Whether an element is there at all (`<nat/>` parses to an empty string). */
export function present(v: unknown): boolean {
  return v !== undefined && v !== null;
}

export function list(v: unknown): Node[] {
  if (Array.isArray(v)) {
    return v.map(obj);
  }
  return v === undefined || v === null ? [] : [obj(v)];
}

export function str(v: unknown): string | null {
  if (typeof v === 'string') {
    return v;
  }
  if (typeof v === 'number') {
    return String(v);
  }
  // An element with attributes keeps its text under '#text'.
  if (v && typeof v === 'object' && '#text' in (v as Node)) {
    return str((v as Node)['#text']);
  }
  return null;
}

/** A number attribute; null when absent or not a number (libvirt would have refused it). */
export function num(v: unknown): number | null {
  const s = str(v);
  if (s === null || s.trim() === '') return null;
  const n = Number(s);
  return Number.isFinite(n) ? n : null;
}

/** libvirt's yes/no and on/off attributes; null when absent. */
export function yes(v: unknown): boolean | null {
  const s = str(v);
  if (s === null) return null;
  return s === 'yes' || s === 'on';
}

/** `255.255.255.0` → 24; null when not a contiguous IPv4 mask. */
export function netmaskToPrefix(mask: string): number | null {
  const parts = mask.split('.').map(Number);
  if (parts.length !== 4 || parts.some((p) => !Number.isInteger(p) || p < 0 || p > 255)) {
    return null;
  }
  const bits = parts.reduce((acc, p) => acc * 256 + p, 0);
  let prefix = 0;
  while (prefix < 32 && bits & (2 ** (31 - prefix))) {
    prefix++;
  }
  const expected = prefix === 0 ? 0 : 2 ** 32 - 2 ** (32 - prefix);
  return bits === expected ? prefix : null;
}

/**
 * The prefix libvirt gives an IPv4 address written with neither prefix nor netmask: its class
 * (A 8, B 16, C 24; libvirt refuses class D and E, which get null here).
 */
export function classfulPrefix(address: string): number | null {
  const first = Number(address.split('.')[0]);
  if (!Number.isInteger(first) || first < 0 || first > 255) return null;
  if (first < 128) return 8;
  if (first < 192) return 16;
  if (first < 224) return 24;
  return null;
}

/** A libvirt PCI `<address domain= bus= slot= function=>` as `0000:03:10.0`. */
export function pciAddressOf(a: Node): string | null {
  const dom = str(a['@domain']);
  const bus = str(a['@bus']);
  const slot = str(a['@slot']);
  const fn = str(a['@function']);
  if (bus === null || slot === null || fn === null) {
    return null;
  }
  const hex = (v: string, width: number) => parseInt(v, 16).toString(16).padStart(width, '0');
  return `${hex(dom ?? '0x0', 4)}:${hex(bus, 2)}:${hex(slot, 2)}.${parseInt(fn, 16).toString(16)}`;
}

/**
 * Where a device sits in the guest: a PCI address as `0000:00:03.0`; any other address type as
 * `type:attr=value,...` in the XML's order (ccw, usb, drive...); null when libvirt wrote none.
 */
export function guestAddressOf(a: unknown): string | null {
  if (!present(a)) return null;
  const node = obj(a);
  const type = str(node['@type']);
  if (type === null) return null;
  if (type === 'pci') return pciAddressOf(node);
  const attrs = Object.entries(node)
    .filter(([k]) => k.startsWith('@') && k !== '@type')
    .map(([k, v]) => `${k.slice(1)}=${str(v) ?? ''}`);
  return `${type}:${attrs.join(',')}`;
}
