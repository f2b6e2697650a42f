/** The tap operations of the catalog: taps for raw `qemu -netdev tap,ifname=...`. */
import { planCreateTap, planDeleteTap } from '../bridge';
import { arg, type Operation } from './types';

export const TAP_OPS: readonly Operation[] = [
  {
    id: 'tap.create',
    area: 'tap',
    cli: 'create',
    summary: 'Create a tap for raw QEMU, optionally plugged into a bridge',
    args: [
      { name: 'name', kind: 'newTapName', positional: true, placeholder: '<name>', description: 'the new tap' },
      { name: 'bridge', kind: 'optionalBridge', placeholder: '<bridge>', description: 'a bridge to plug it into' },
    ],
    plan(model, a) {
      const name = arg.str(a, 'name');
      const bridge = arg.opt(a, 'bridge');
      return { plan: planCreateTap(model, name, bridge), persist: { op: 'create-tap', name, ...(bridge ? { bridge } : {}) } };
    },
    commands: [{ id: 'virtnet.tap.create', title: 'Create Tap...', icon: 'vm', ask: ['name', 'bridge'], targets: ['host', 'bridge'] }],
  },
  {
    id: 'tap.delete',
    area: 'tap',
    cli: 'delete',
    summary: 'Delete a tap that no VM holds',
    args: [{ name: 'name', kind: 'rawTap', positional: true, placeholder: '<name>', description: 'the tap' }],
    plan(model, a) {
      const name = arg.str(a, 'name');
      return { plan: planDeleteTap(model, name), persist: { op: 'delete-tap', name } };
    },
    commands: [{ id: 'virtnet.tap.delete', title: 'Delete Tap', icon: 'trash', ask: ['name'], targets: ['rawTap'] }],
  },
];
