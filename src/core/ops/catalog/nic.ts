/**
 * The VM NIC operations of the catalog: add and remove NICs (live and in the definition), move one
 * to another network or bridge, the guide's virtio-versus-emulated choice, and link state.
 */
import { planNicAttach, planNicDetach, type DirectMode, type NicSource } from '../libvirt/nicAttach';
import { planNicSet } from '../libvirt/nicSet';
import { PlanInputError } from '../plan';
import { arg, type Args, type Operation } from './types';

/** The new NIC's source from whichever source option was given (VS Code: the `via` asked first). */
function sourceOf(a: Args): NicSource {
  const given = [
    arg.opt(a, 'network') !== undefined,
    arg.opt(a, 'bridge') !== undefined,
    arg.opt(a, 'direct') !== undefined,
    arg.bool(a, 'user') || arg.bool(a, 'passt') || a.via === 'user' || a.via === 'passt',
  ].filter(Boolean).length;
  if (given !== 1) throw new PlanInputError(['say what the NIC connects to: one of --network N, --bridge BR, --direct IF, --user (or --passt)']);
  if (arg.opt(a, 'network')) return { type: 'network', network: arg.str(a, 'network') };
  if (arg.opt(a, 'bridge')) return { type: 'bridge', bridge: arg.str(a, 'bridge') };
  if (arg.opt(a, 'direct')) return { type: 'direct', dev: arg.str(a, 'direct'), mode: (arg.opt(a, 'mode') ?? 'bridge') as DirectMode };
  return { type: 'user', passt: arg.bool(a, 'passt') || a.via === 'passt' };
}

/** Asked (VS Code) only once `via` chose it; a caller naming the source itself is not asked. */
const onlyVia = (kind: string) => (a: Args) => a.via === kind;
/** `via` is asked only when no source was named. */
const noSource = (a: Args) => !a.network && !a.bridge && !a.direct && !a.user && !a.passt;

export const NIC_OPS: readonly Operation[] = [
  {
    id: 'nic.attach',
    area: 'nic',
    cli: 'attach',
    summary: 'Add a NIC to a VM: on a libvirt network, a host bridge, macvtap over a host NIC, or user-mode networking; live and in its definition',
    args: [
      { name: 'domain', kind: 'domain', positional: true, placeholder: '<vm>', description: 'the VM' },
      {
        name: 'via',
        kind: 'nicVia',
        placeholder: 'network|bridge|direct|user|passt',
        description: 'what it connects to (the CLI infers it from the option below)',
        relevant: noSource,
      },
      { name: 'network', kind: 'network', placeholder: '<network>', description: 'a libvirt network', relevant: onlyVia('network') },
      { name: 'bridge', kind: 'bridge', placeholder: '<bridge>', description: 'a host bridge', relevant: onlyVia('bridge') },
      { name: 'direct', kind: 'uplinkNic', placeholder: '<ifname>', description: 'macvtap over this host NIC', relevant: onlyVia('direct') },
      {
        name: 'mode',
        kind: 'macvtapMode',
        placeholder: 'bridge|vepa|private|passthrough',
        description: "macvtap's mode (default bridge)",
        relevant: onlyVia('direct'),
      },
      { name: 'user', kind: 'flag', description: "user-mode networking (libvirt's default backend)" },
      { name: 'passt', kind: 'flag', description: 'user-mode networking on passt' },
      { name: 'model', kind: 'nicModel', placeholder: '<model>', description: 'virtio (default), e1000e, rtl8139...' },
      { name: 'mac', kind: 'newMac', placeholder: '<mac>', description: 'its MAC (default: a free one in 52:54:00)' },
      { name: 'queues', kind: 'queues', placeholder: '<n>', description: "virtio-net's multiqueue" },
      { name: 'live', kind: 'flag', description: 'only in the running VM (default: running VM and definition, where they exist)' },
      { name: 'config', kind: 'flag', description: 'only in the definition' },
    ],
    plan(_model, a) {
      const model = arg.opt(a, 'model');
      const mac = arg.opt(a, 'mac');
      const queues = arg.num(a, 'queues');
      return {
        plan: planNicAttach(_model, {
          domain: arg.str(a, 'domain'),
          source: sourceOf(a),
          ...(model ? { model } : {}),
          ...(mac ? { mac } : {}),
          ...(queues !== undefined ? { queues } : {}),
          live: arg.bool(a, 'live'),
          config: arg.bool(a, 'config'),
        }),
      };
    },
    commands: [
      {
        id: 'virtnet.nic.attach',
        title: 'Add NIC...',
        icon: 'add',
        ask: ['domain', 'via', 'network', 'bridge', 'direct', 'mode', 'model'],
        targets: ['domain'],
      },
    ],
  },
  {
    id: 'nic.detach',
    area: 'nic',
    cli: 'detach',
    summary: 'Remove a NIC from a VM (by MAC): from the running VM (the guest must let go) and from its definition',
    args: [
      { name: 'domain', kind: 'domain', positional: true, placeholder: '<vm>', description: 'the VM' },
      { name: 'mac', kind: 'nic', positional: true, placeholder: '<mac>', description: "the NIC's MAC" },
      { name: 'live', kind: 'flag', description: 'only from the running VM' },
      { name: 'config', kind: 'flag', description: 'only from the definition' },
    ],
    plan: (model, a) => ({
      plan: planNicDetach(model, { domain: arg.str(a, 'domain'), mac: arg.str(a, 'mac'), live: arg.bool(a, 'live'), config: arg.bool(a, 'config') }),
    }),
    commands: [{ id: 'virtnet.nic.detach', title: 'Remove NIC', icon: 'trash', ask: ['domain', 'mac'], targets: ['nic'] }],
  },
  {
    id: 'nic.set',
    area: 'nic',
    cli: 'set',
    summary: 'Change a VM NIC: its model (in its definition), its link state, or the network or bridge it is on (live: its tap moves)',
    args: [
      { name: 'domain', kind: 'domain', positional: true, placeholder: '<vm>', description: 'the VM' },
      { name: 'mac', kind: 'nic', positional: true, placeholder: '<mac>', description: "the NIC's MAC" },
      { name: 'model', kind: 'nicModel', placeholder: '<model>', description: 'virtio, e1000e, rtl8139...' },
      { name: 'link', kind: 'linkState', description: 'the link the guest sees' },
      { name: 'via', kind: 'moveVia', placeholder: 'network|bridge', description: 'move it to a network or a bridge (the CLI infers it)', relevant: noSource },
      { name: 'network', kind: 'network', placeholder: '<network>', description: 'move it to this libvirt network', relevant: onlyVia('network') },
      { name: 'bridge', kind: 'bridge', placeholder: '<bridge>', description: 'move it to this host bridge', relevant: onlyVia('bridge') },
    ],
    plan(model, a) {
      const link = arg.opt(a, 'link');
      const m = arg.opt(a, 'model');
      const network = arg.opt(a, 'network');
      const bridge = arg.opt(a, 'bridge');
      if (network && bridge) throw new PlanInputError(['move to a network or to a bridge, not both']);
      return {
        plan: planNicSet(model, {
          domain: arg.str(a, 'domain'),
          mac: arg.str(a, 'mac'),
          ...(m !== undefined ? { model: m } : {}),
          ...(link === 'up' || link === 'down' ? { link } : {}),
          ...(network ? { source: { type: 'network' as const, network } } : bridge ? { source: { type: 'bridge' as const, bridge } } : {}),
        }),
      };
    },
    commands: [
      { id: 'virtnet.nic.changeModel', title: 'Change NIC Model...', icon: 'chip', ask: ['domain', 'mac', 'model'], targets: ['nic'] },
      {
        id: 'virtnet.nic.move',
        title: 'Move to Network or Bridge...',
        icon: 'arrow-right',
        ask: ['domain', 'mac', 'via', 'network', 'bridge'],
        targets: ['nic'],
      },
      { id: 'virtnet.nic.linkDown', title: 'Set Link Down', icon: 'debug-disconnect', preset: { link: 'down' }, ask: ['domain', 'mac'], targets: ['nic'] },
      { id: 'virtnet.nic.linkUp', title: 'Set Link Up', icon: 'plug', preset: { link: 'up' }, ask: ['domain', 'mac'], targets: ['nic'] },
    ],
  },
];
