/**
 * Validation of user input, shared by the CLI, the planners and (later) the forms. Each function
 * returns null when the value is acceptable, else one sentence saying what is wrong.
 */

// TextEncoder exists in Node and in browsers: the webview form runs these same checks.
const utf8 = new TextEncoder();

/** Linux interface names: 1-15 bytes, no '/', whitespace, ':' or NUL, not '.' or '..'. */
export function checkIfName(name: string, what = 'interface name'): string | null {
  if (name.length === 0) {
    return `the ${what} is empty`;
  }
  const bytes = utf8.encode(name).length;
  if (bytes > 15) {
    return `the ${what} "${name}" is ${bytes} bytes long; Linux allows at most 15`;
  }
  if (name === '.' || name === '..') {
    return `"${name}" cannot be an ${what}`;
  }
  const bad = /[/:\s\0]/.exec(name);
  if (bad) {
    return `the ${what} ${JSON.stringify(name)} contains ${JSON.stringify(bad[0])}, which Linux does not allow in interface names`;
  }
  // Allowed by the kernel, but a leading '-' would read as an option to ip and friends.
  if (name.startsWith('-')) {
    return `the ${what} "${name}" starts with "-"`;
  }
  if (/[^\x21-\x7e]/.test(name)) {
    return `the ${what} ${JSON.stringify(name)} has characters outside printable ASCII`;
  }
  return null;
}

/** Characters VirtNet accepts in names it creates: safe in hook scripts and others' config files. */
const SAFE_NAME = /^[A-Za-z0-9_.-]+$/;

/**
 * A name for something VirtNet creates (a bridge, a tap; later a libvirt network): the kernel's
 * rules for interfaces, and only letters, digits, '-', '_' and '.'. A name like `b$(reboot)` is
 * legal for the kernel but breaks hook scripts and network-manager files written by others.
 * Existing objects with other names are still shown and operated on (quoted as always).
 */
export function checkNewName(name: string, what = 'interface name', isInterface = true): string | null {
  const kernel = isInterface ? checkIfName(name, what) : name.length === 0 ? `the ${what} is empty` : null;
  if (kernel) return kernel;
  if (!SAFE_NAME.test(name)) {
    return `the ${what} ${JSON.stringify(name)} may only contain letters, digits, "-", "_" and "."`;
  }
  if (name.startsWith('-') || name === '.' || name === '..') return `the ${what} "${name}" cannot start with "-" or be "." or ".."`;
  return null;
}

export function checkIpv4(text: string): string | null {
  const parts = text.split('.');
  if (parts.length !== 4 || parts.some((p) => !/^(0|[1-9]\d{0,2})$/.test(p) || Number(p) > 255)) {
    return `"${text}" is not an IPv4 address`;
  }
  return null;
}

export function checkIpv6(text: string): string | null {
  // Structural check: hex groups, at most one '::', 8 groups when there is none.
  if (!/^[0-9a-fA-F:]+$/.test(text) || (text.match(/::/g) ?? []).length > 1) {
    return `"${text}" is not an IPv6 address`;
  }
  const groups = text.split(':');
  const compressed = text.includes('::');
  if ((!compressed && groups.length !== 8) || groups.length > 8 || groups.some((g) => g.length > 4)) {
    return `"${text}" is not an IPv6 address`;
  }
  return null;
}

export function checkIp(text: string): string | null {
  return text.includes(':') ? checkIpv6(text) : checkIpv4(text);
}

/** An address with prefix, as `ip addr add` takes it: `192.168.9.10/24`, `fd00::1/64`. */
export function checkCidr(text: string): string | null {
  const slash = text.indexOf('/');
  if (slash < 0) {
    return `"${text}" has no prefix length (write it like 192.168.9.10/24)`;
  }
  const addr = text.slice(0, slash);
  const prefix = text.slice(slash + 1);
  const ipErr = checkIp(addr);
  if (ipErr) {
    return ipErr;
  }
  const max = addr.includes(':') ? 128 : 32;
  if (!/^\d{1,3}$/.test(prefix) || Number(prefix) > max) {
    return `"/${prefix}" is not a prefix length between 0 and ${max}`;
  }
  return null;
}

export function checkMac(text: string): string | null {
  if (!/^[0-9a-fA-F]{2}(:[0-9a-fA-F]{2}){5}$/.test(text)) {
    return `"${text}" is not a MAC address (write it like 52:54:00:12:34:56)`;
  }
  if (parseInt(text.slice(0, 2), 16) & 1) {
    return `"${text}" is a multicast address and cannot be a NIC's MAC`;
  }
  return null;
}

/** The 128 bits of an IPv6 address (structurally valid input). */
function v6Bits(text: string): bigint {
  const [head, tail] = text.includes('::') ? text.split('::') : [text, undefined];
  const h = head ? head.split(':') : [];
  const t = tail !== undefined && tail !== '' ? tail.split(':') : [];
  const groups = tail === undefined ? h : [...h, ...Array(8 - h.length - t.length).fill('0'), ...t];
  return groups.reduce((acc, g) => (acc << 16n) | BigInt(parseInt(g || '0', 16)), 0n);
}

function v4Bits(text: string): bigint {
  return text.split('.').reduce((acc, p) => (acc << 8n) | BigInt(Number(p)), 0n);
}

/** An IPv4 address as a number, for ordering and ranges (valid input). */
export function ipv4Number(text: string): number {
  return Number(v4Bits(text));
}

/** An address of either family as a number, for ordering and ranges (valid input). */
export function ipOrder(text: string): bigint {
  return text.includes(':') ? v6Bits(text) : v4Bits(text);
}

/**
 * Whether `ip` lies in the subnet of `cidr` (`10.0.8.2/24` holds 10.0.8.1): the kernel takes a
 * gateway only when it is on-link, i.e. inside a subnet of the interface. Both must be valid and
 * of one family; otherwise false.
 */
export function inSubnet(ip: string, cidr: string): boolean {
  const [addr, len] = cidr.split('/');
  if (!addr || len === undefined || checkIp(ip) || checkCidr(cidr)) return false;
  const six = ip.includes(':');
  if (six !== addr.includes(':')) return false;
  const width = six ? 128n : 32n;
  const prefix = BigInt(Number(len));
  const bits = six ? v6Bits : v4Bits;
  const shift = width - prefix;
  return bits(ip) >> shift === bits(addr) >> shift;
}

/** Collects every problem at once, so a form or the CLI can show them all. */
export function problems(...checks: (string | null)[]): string[] {
  return checks.filter((c): c is string => c !== null);
}

/** An MTU libvirt and the kernel take for a network or a NIC (68 is IPv4's minimum). */
export function checkMtu(n: number): string | null {
  return Number.isInteger(n) && n >= 68 && n <= 65535 ? null : `${n} is not an MTU between 68 and 65535`;
}

/** A DNS domain dnsmasq serves: labels of letters, digits and `-`, dot-separated, at most 253 bytes. */
export function checkDnsDomain(text: string): string | null {
  const label = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/;
  if (text.length === 0 || text.length > 253 || !text.split('.').every((l) => label.test(l))) {
    return `"${text}" is not a DNS domain (labels of letters, digits and "-", separated by ".")`;
  }
  return null;
}

/** A NIC model name as libvirt writes it (`virtio`, `e1000e`, `rtl8139`, `virtio-net-pci`). */
export function checkNicModelName(text: string): string | null {
  return /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/.test(text) ? null : `"${text}" is not a NIC model name (letters, digits, "-", "_", ".")`;
}
