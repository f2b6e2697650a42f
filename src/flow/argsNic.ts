/** The pickers of the VM NIC argument kinds (what a new NIC connects to, macvtap's mode, MAC, queues). */
import type { HostModel } from '../core/model/types';
import type { ArgSpec, Args, ArgValue } from '../core/ops/catalog/types';
import { DIRECT_MODES, freeMac } from '../core/ops/libvirt/nicAttach';
import { checkMac } from '../core/validate';
import { input, pick } from './pickers';

export async function askNicArg(model: HostModel, spec: ArgSpec, args: Args, title: string): Promise<ArgValue | undefined> {
  const vm = typeof args.domain === 'string' ? args.domain : '';
  switch (spec.kind) {
    case 'nicVia':
    case 'moveVia': {
      const all = [
        { label: 'A libvirt network', description: `${model.networks.length} on the host (NAT, routed, isolated...)`, value: 'network' },
        { label: 'A host bridge', description: 'the guest is on the LAN the bridge is on', value: 'bridge' },
        { label: 'macvtap over a host NIC', description: 'on the LAN without a bridge; the host itself cannot reach the guest this way', value: 'direct' },
        { label: 'User-mode networking', description: "behind the host, no address on the LAN (libvirt's default backend)", value: 'user' },
        { label: 'User-mode networking on passt', description: 'the same, with port forwards libvirt can hold', value: 'passt' },
      ];
      return pick(spec.kind === 'moveVia' ? all.slice(0, 2) : all, title, spec.kind === 'moveVia' ? 'Move the NIC to' : 'The new NIC connects to', '');
    }
    case 'macvtapMode':
      return pick(
        [
          { label: 'bridge', description: 'guests on the same NIC reach each other (the usual choice)', value: 'bridge' },
          { label: 'vepa', description: 'all traffic goes out to the switch, which must hairpin it back', value: 'vepa' },
          { label: 'private', description: 'guests on the same NIC cannot reach each other', value: 'private' },
          { label: 'passthrough', description: 'the whole NIC (or a VF) to this one guest', value: 'passthrough' },
        ].filter((m) => (DIRECT_MODES as readonly string[]).includes(m.value)),
        title,
        "macvtap's mode",
        '',
      );
    case 'newMac': {
      const suggested = freeMac(model, vm);
      const v = await input(title, `MAC of the new NIC (empty: ${suggested}, free on the host)`, suggested, (t) => (t === '' ? null : checkMac(t)));
      return v === '' ? undefined : v;
    }
    case 'queues': {
      const v = await input(title, "virtio-net queues (one per vCPU is the usual choice; empty: libvirt's default)", '2', (t) =>
        t === '' || /^\d+$/.test(t) ? null : 'a whole number',
      );
      return v === '' || v === undefined ? undefined : Number(v);
    }
    default:
      throw new Error(`askNicArg: ${spec.kind} is not a NIC argument`);
  }
}
