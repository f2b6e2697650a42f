/** The pickers of the libvirt network argument kinds (and a network's new definition, in an editor). */
import * as vscode from 'vscode';
import { networkUsers } from '../core/model/queries';
import type { HostModel } from '../core/model/types';
import type { ArgSpec, Args, ArgValue } from '../core/ops/catalog/types';
import { FORWARD_MODE_HELP, type ForwardMode } from '../core/ops/libvirt/networkCreate';
import { networkDevCandidates } from '../core/ops/libvirt/networkRoom';
import { checkNewName } from '../core/validate';
import { Cancelled } from './context';
import { input, pick } from './pickers';

export async function askNetworkArg(model: HostModel, spec: ArgSpec, args: Args, title: string): Promise<ArgValue | undefined> {
  const host = model.info.hostname;
  switch (spec.kind) {
    case 'network':
      return pick(
        model.networks.map((n) => ({
          label: n.name,
          description: [n.active ? 'active' : 'inactive', n.forwardMode, n.bridge, n.ips[0] ? `${n.ips[0].address}/${n.ips[0].prefix}` : undefined]
            .filter(Boolean)
            .join(' · '),
          value: n.name,
        })),
        title,
        'libvirt network',
        `${host} has no libvirt networks`,
      );
    case 'newNetworkName':
      return input(
        title,
        'Network name (letters, digits, "-", "_", ".")',
        'lab-nat',
        (v) => checkNewName(v, 'network name', false) ?? (model.networks.some((n) => n.name === v) ? `a network named "${v}" already exists` : null),
      );
    case 'forwardMode': {
      const modes = Object.entries(FORWARD_MODE_HELP);
      return pick(
        modes.map(([m, d]) => ({ label: m, description: d, value: m })),
        title,
        'Forward mode',
        '',
      );
    }
    case 'networkDev': {
      const mode = typeof args.forward === 'string' ? args.forward : '';
      if (mode === 'isolated' || mode === 'open') return undefined;
      const none = '(any uplink)';
      const items = [
        ...(mode === 'nat' ? [{ label: none, description: 'NAT through whichever interface routes outward', value: '' }] : []),
        ...networkDevCandidates(model, mode as ForwardMode).map((c) => ({ label: c.name, description: c.detail, value: c.name })),
      ];
      const v = await pick(
        items,
        title,
        mode === 'bridge' ? 'Host bridge' : mode === 'nat' || mode === 'route' ? 'Uplink' : 'Host NIC',
        `${host} has no ${mode === 'bridge' ? 'bridge' : 'interface'} for it`,
      );
      return v === '' ? undefined : v;
    }
    case 'dhcpRange': {
      const net = model.networks.find((n) => n.name === args.network);
      const v4 = net?.ips.find((ip) => ip.family === 'ipv4');
      const address = typeof args.address === 'string' ? args.address : v4 ? `${v4.address}/${v4.prefix}` : '';
      if (!address) return spec.multiple ? [] : undefined;
      const base = address.split('/')[0]!.split('.').slice(0, 3).join('.');
      const v = await input(title, 'DHCP range START-END inside the subnet (empty: no DHCP)', `${base}.100-${base}.200`, (t) =>
        t === '' || /^[\d.]+-[\d.]+$/.test(t) ? null : 'write it START-END',
      );
      return v === '' ? (spec.multiple ? [] : undefined) : spec.multiple ? [v] : v;
    }
    case 'dhcpHost':
      return input(title, 'Static host MAC,IP[,NAME]', '52:54:00:12:34:56,192.168.122.50,vm1', (t) =>
        /^[0-9a-fA-F:]{17},[\d.]+(,[A-Za-z0-9_.-]+)?$/.test(t) ? null : 'write it MAC,IP or MAC,IP,NAME',
      );
    case 'staticHost': {
      const net = model.networks.find((n) => n.name === args.network);
      return pick(
        (net?.ips ?? []).flatMap((ip) =>
          ip.dhcpHosts.filter((h) => h.mac).map((h) => ({ label: h.mac!, description: [h.ip, h.name].filter(Boolean).join(' · '), value: h.mac! })),
        ),
        title,
        'Static host',
        `${String(args.network)} has no static hosts`,
      );
    }
    case 'networkRange': {
      const net = model.networks.find((n) => n.name === args.network);
      return pick(
        (net?.ips ?? []).flatMap((ip) => ip.dhcpRanges.map((r) => ({ label: `${r.start}-${r.end}`, value: `${r.start}-${r.end}` }))),
        title,
        'DHCP range',
        `${String(args.network)} has no DHCP ranges`,
      );
    }
    case 'definition': {
      // The host's own definition in an editor; the user edits it there and says when.
      const net = model.networks.find((n) => n.name === args.network);
      if (!net?.inactiveXml) return undefined; // the planner says why there is none
      const doc = await vscode.workspace.openTextDocument({ language: 'xml', content: net.inactiveXml });
      await vscode.window.showTextDocument(doc, { preview: false });
      const apply = 'Apply Edited Definition';
      const choice = await vscode.window.showInformationMessage(
        `${title}: edit the definition of ${net.name} on ${host} in the editor, then choose "${apply}". The plan, with the diff, shows before anything runs.`,
        apply,
      );
      if (choice !== apply) throw new Cancelled();
      return doc.getText();
    }
    case 'restart': {
      const net = model.networks.find((n) => n.name === args.network);
      if (!net?.active) return undefined;
      const users = networkUsers(model, net);
      return pick(
        [
          {
            label: 'Restart it now',
            description: users.length ? `${users.join(', ')} lose their link for a moment` : 'no running VM uses it',
            value: true,
          },
          { label: 'Later', description: 'libvirt keeps running the old definition until the network restarts', value: false },
        ],
        title,
        `${net.name} is running: apply the new definition now?`,
        '',
      );
    }
    default:
      throw new Error(`askNetworkArg: ${spec.kind} is not a network argument`);
  }
}
