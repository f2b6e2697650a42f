/**
 * Parsers for the collector's sysfs PCI walk and `lspci -mm -D` (names only; sysfs is the truth).
 */

export interface PciWalkEntry {
  address: string;
  class: string;
  vendorId: string;
  deviceId: string;
  driver: string | null;
  iommuGroup: number | null;
  numaNode: number | null;
  netdevs: string[];
  totalVfs: number | null;
  numVfs: number | null;
  physfn: string | null;
  /** VF addresses ordered by their `virtfnN` index. */
  vfs: string[];
}

function intOrNull(v: string | undefined): number | null {
  if (v === undefined || v === '') {
    return null;
  }
  const n = Number(v);
  return Number.isInteger(n) ? n : null;
}

/** Lines `addr|class|vendor|device|driver|group|numa|net1,net2,|total|num|physfn|0:addr,1:addr,`. */
export function parsePciWalk(text: string): PciWalkEntry[] {
  return text
    .split('\n')
    .filter((l) => l.split('|').length >= 12)
    .map((l) => {
      const [address = '', cls = '', vendor = '', device = '', driver = '', group = '', numa = '', nets = '', total = '', num = '', pf = '', vfs = ''] =
        l.split('|');
      const numaNode = intOrNull(numa);
      const vfList = vfs
        .split(',')
        .filter((v) => v.includes(':'))
        .map((v) => {
          const i = v.indexOf(':');
          return { index: Number(v.slice(0, i)), address: v.slice(i + 1) };
        })
        .sort((a, b) => a.index - b.index)
        .map((v) => v.address);
      return {
        address,
        class: cls,
        vendorId: vendor.replace(/^0x/, ''),
        deviceId: device.replace(/^0x/, ''),
        driver: driver || null,
        iommuGroup: intOrNull(group),
        // The kernel says -1 when the platform has no NUMA information.
        numaNode: numaNode === -1 ? null : numaNode,
        netdevs: nets.split(',').filter(Boolean),
        totalVfs: intOrNull(total),
        numVfs: intOrNull(num),
        physfn: pf || null,
        vfs: vfList,
      };
    });
}

/** Splits one `lspci -mm` line into its quoted and bare fields. */
function lspciFields(line: string): string[] {
  const fields: string[] = [];
  const re = /"([^"]*)"|(\S+)/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(line)) !== null) {
    fields.push(m[1] ?? m[2] ?? '');
  }
  return fields;
}

/** Vendor and device names by PCI address from `lspci -mm -D`. */
export function parseLspci(text: string): Map<string, { vendor: string; device: string }> {
  const names = new Map<string, { vendor: string; device: string }>();
  for (const line of text.split('\n')) {
    const f = lspciFields(line);
    // slot, class, vendor, device, then options (-rXX, -pXX) and subsystem fields.
    if (f.length >= 4 && /^[0-9a-f]{4}:[0-9a-f]{2}:[0-9a-f]{2}\.[0-7]$/i.test(f[0] ?? '')) {
      names.set((f[0] ?? '').toLowerCase(), { vendor: f[2] ?? '', device: f[3] ?? '' });
    }
  }
  return names;
}
