import { readFileSync } from 'node:fs';
import { buildHostModel } from '../../../../../src/core/collect/build';
import type { HostModel } from '../../../../../src/core/model/types';
import { persistIntentForBridge, persistIntentForUplink, type PersistIntent } from '../../../../../src/core/ops/persist';

// The lab host of the uplink tests: enp3s1 holds 10.231.2.2/24 and carries the SSH session.
export const base = buildHostModel({ host: 'vnl-b', output: readFileSync(new URL('../../../../fixtures/collector/bare.out', import.meta.url), 'utf8'), nonce: 'f1x7u2e0n0ce', asRoot: null });
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
