import { readFileSync } from 'node:fs';
import { buildHostModel } from '../../../../../src/core/collect/build';
import { parseDomainXml } from '../../../../../src/core/collect/parse-domain';
import type { HostModel } from '../../../../../src/core/model/types';
import { persistIntentForBridge, persistIntentForUplink, type PersistIntent } from '../../../../../src/core/ops/persist';

// The lab host of the uplink tests: enp3s1 holds 10.231.2.2/24 and carries the SSH session.
export const base = buildHostModel({
  host: 'vnl-b',
  output: readFileSync(new URL('../../../../fixtures/collector/bare.out', import.meta.url), 'utf8'),
  nonce: 'f1x7u2e0n0ce',
  asRoot: null,
});
export const mac = base.links.find((l) => l.name === 'enp3s1')!.mac!;
export const now = new Date('2024-05-01T10:15:00Z');
export const ts = '20240501T101500Z';

/** The same host as if it used `nm` and had `tools` installed. */
export function hostWith(nm: HostModel['info']['networkManager'], tools: Record<string, boolean> = {}): HostModel {
  return { ...base, info: { ...base.info, networkManager: nm, tools: { ...base.info.tools, ...tools } } };
}

export const hosts = {
  networkd: hostWith('networkd'),
  ifupdown: hostWith('ifupdown', { ifup: true, brctl: true }),
  netplan: hostWith('netplan', { netplan: true }),
  networkmanager: hostWith('networkmanager', { nmcli: true }),
};

export const cases: Record<'static' | 'dhcp' | 'plain', PersistIntent> = {
  static: persistIntentForUplink(base, { nic: 'enp3s1', bridge: 'br9', stp: true, forwardDelay: 4, address: '10.231.2.2/24', gateway: '10.231.2.1' }),
  dhcp: persistIntentForUplink(base, { nic: 'enp3s1', bridge: 'br9', stp: false, dhcp: true }),
  plain: persistIntentForBridge({ name: 'br7', stp: false, ports: [] }),
};

/**
 * The seed lab host (br9 with enp3s1 and the raw tap vnet0, 10.231.1.2/24, default via
 * 10.231.1.1, the session on br9), plus a free NIC enp3s2 and a running VM c8 whose tap vnet3 is
 * on br9: what a bridge edit starts from.
 */
const seedRaw = buildHostModel({
  host: 'vnl-a',
  output: readFileSync(new URL('../../../../fixtures/collector/seed.out', import.meta.url), 'utf8'),
  nonce: 'f1x7u2e0n0ce',
  asRoot: null,
});
export const seed: HostModel = {
  ...seedRaw,
  links: [
    ...seedRaw.links,
    { name: 'enp3s2', kind: null, portKind: 'physical', up: true, operState: 'UP', mac: '52:54:00:aa:bb:02', mtu: 1500, master: null, addresses: [] },
    { name: 'vnet3', kind: 'tun', portKind: 'tap', up: true, operState: 'UP', mac: 'fe:54:00:c8:00:01', mtu: 1500, master: 'br9', addresses: [] },
  ],
  bridges: seedRaw.bridges.map((b) =>
    b.name === 'br9'
      ? {
          ...b,
          ports: [
            ...b.ports,
            { name: 'vnet3', kind: 'tap', domain: 'c8', state: 'forwarding', up: true, mac: 'fe:54:00:c8:00:01', driver: null, physfn: null },
          ],
        }
      : b,
  ),
  domains: [
    ...seedRaw.domains,
    // A second guest, written as libvirt would print it, so it has every field the parser gives.
    parseDomainXml(
      "<domain type='kvm'><name>c8</name><devices><interface type='bridge'><mac address='fe:54:00:c8:00:01'/>" +
        "<source bridge='br9'/><target dev='vnet3'/><model type='virtio'/></interface></devices></domain>",
      { uuid: '', state: 'running', persistent: true, autostart: false },
    ),
  ],
};
export const seedMac = seed.bridges.find((b) => b.name === 'br9')!.mac!;

/** The seed host as if `nm` managed it, with `tools` installed. */
export function seedWith(nm: HostModel['info']['networkManager'], tools: Record<string, boolean> = {}): HostModel {
  return { ...seed, info: { ...seed.info, networkManager: nm, tools: { ...seed.info.tools, ...tools } } };
}

export const seedHosts = {
  networkd: seedWith('networkd'),
  ifupdown: seedWith('ifupdown', { ifup: true, brctl: true }),
  netplan: seedWith('netplan', { netplan: true }),
  networkmanager: seedWith('networkmanager', { nmcli: true }),
};
