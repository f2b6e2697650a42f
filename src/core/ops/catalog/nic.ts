/** The VM NIC operations of the catalog: the guide's virtio-versus-emulated choice, and link state. */
import { planNicSet } from '../libvirt/nicSet';
import { arg, type Operation } from './types';

export const NIC_OPS: readonly Operation[] = [
  {
    id: 'nic.set',
    area: 'nic',
    cli: 'set',
    summary: "Change a VM NIC's model (in its definition) or its link state (live and in the definition)",
    args: [
      { name: 'domain', kind: 'domain', positional: true, placeholder: '<vm>', description: 'the VM' },
      { name: 'mac', kind: 'nic', positional: true, placeholder: '<mac>', description: "the NIC's MAC" },
      { name: 'model', kind: 'nicModel', placeholder: '<model>', description: 'virtio, e1000e, rtl8139...' },
      { name: 'link', kind: 'linkState', description: 'the link the guest sees' },
    ],
    plan(model, a) {
      const link = arg.opt(a, 'link');
      const m = arg.opt(a, 'model');
      return {
        plan: planNicSet(model, {
          domain: arg.str(a, 'domain'),
          mac: arg.str(a, 'mac'),
          ...(m !== undefined ? { model: m } : {}),
          ...(link === 'up' || link === 'down' ? { link } : {}),
        }),
      };
    },
    commands: [
      { id: 'virtnet.nic.changeModel', title: 'Change NIC Model...', icon: 'chip', ask: ['domain', 'mac', 'model'], targets: ['nic'] },
      { id: 'virtnet.nic.linkDown', title: 'Set Link Down', icon: 'debug-disconnect', preset: { link: 'down' }, ask: ['domain', 'mac'], targets: ['nic'] },
      { id: 'virtnet.nic.linkUp', title: 'Set Link Up', icon: 'plug', preset: { link: 'up' }, ask: ['domain', 'mac'], targets: ['nic'] },
    ],
  },
];
