/** The libvirt network operations of the catalog. */
import { planNetworkEdit } from '../libvirt/networkEdit';
import { arg, type Operation } from './types';

export const NETWORK_OPS: readonly Operation[] = [
  {
    id: 'network.edit',
    area: 'network',
    cli: 'edit',
    summary: "Change a libvirt network's MTU or DNS domain in its definition (the rest of it kept as it is)",
    args: [
      { name: 'network', kind: 'network', positional: true, placeholder: '<network>', description: 'the libvirt network' },
      { name: 'mtu', kind: 'mtu', placeholder: '<mtu>|default', description: 'the MTU of its bridge and taps' },
      { name: 'dnsDomain', kind: 'dnsDomain', placeholder: '<domain>', description: 'the DNS domain its dnsmasq serves' },
      { name: 'noDnsDomain', kind: 'flag', description: 'take the DNS domain away' },
    ],
    plan(model, a) {
      const mtu = arg.num(a, 'mtu');
      const domain = arg.opt(a, 'dnsDomain');
      return {
        plan: planNetworkEdit(model, {
          network: arg.str(a, 'network'),
          ...(mtu !== undefined ? { mtu: mtu === 0 ? null : mtu } : {}),
          ...(domain !== undefined ? { dnsDomain: domain } : arg.bool(a, 'noDnsDomain') ? { dnsDomain: null } : {}),
        }),
      };
    },
    commands: [
      { id: 'virtnet.network.setMtu', title: 'Set MTU...', icon: 'symbol-ruler', ask: ['network', 'mtu'], targets: ['network'] },
      { id: 'virtnet.network.setDnsDomain', title: 'Set DNS Domain...', icon: 'symbol-namespace', ask: ['network', 'dnsDomain'], targets: ['network'] },
    ],
  },
];
