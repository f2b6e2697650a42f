/** What network and domain XML share: VLANs, bandwidth limits, virtual ports; definitions compared. */
import type { Bandwidth, BandwidthLimit, Vlan, Virtualport } from '../model/libvirt';
import { list, num, obj, present, str, yes, type Node } from './xml-read';

export function vlanOf(v: unknown): Vlan | null {
  if (!present(v)) return null;
  const node = obj(v);
  return {
    trunk: yes(node['@trunk']) === true,
    tags: list(node.tag).map((t) => {
      const mode = str(t['@nativeMode']);
      return { id: num(t['@id']) ?? 0, nativeMode: mode === 'tagged' || mode === 'untagged' ? mode : null };
    }),
  };
}

function limitOf(v: unknown): BandwidthLimit | null {
  if (!present(v)) return null;
  const n = obj(v);
  return { average: num(n['@average']), peak: num(n['@peak']), burst: num(n['@burst']), floor: num(n['@floor']) };
}

export function bandwidthOf(v: unknown): Bandwidth | null {
  if (!present(v)) return null;
  const n = obj(v);
  return { inbound: limitOf(n.inbound), outbound: limitOf(n.outbound) };
}

export function virtualportOf(v: unknown): Virtualport | null {
  if (!present(v)) return null;
  const n: Node = obj(v);
  const p = obj(n.parameters);
  return {
    type: str(n['@type']),
    interfaceId: str(p['@interfaceid']),
    profileId: str(p['@profileid']),
    managerId: str(p['@managerid']),
    typeId: str(p['@typeid']),
    typeIdVersion: str(p['@typeidversion']),
    instanceId: str(p['@instanceid']),
  };
}

/** The settings of `defined` that differ from `running`'s, by value. */
export function differing<T extends object, K extends keyof T>(running: T, defined: T, keys: readonly K[]): Partial<Pick<T, K>> {
  const out: Partial<Pick<T, K>> = {};
  for (const k of keys) if (JSON.stringify(running[k]) !== JSON.stringify(defined[k])) out[k] = defined[k];
  return out;
}
