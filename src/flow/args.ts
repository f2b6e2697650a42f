/**
 * One picker per argument kind of the operation catalog: when a command runs from the palette
 * (or a node supplies only some arguments), each missing argument is asked for by its kind, from
 * the host's current model. Input is checked live with the core's own validators.
 */
import * as vscode from 'vscode';
import { bridgeFacts, freeInterfaces, linkFacts, networkUsers, rawTaps, uplinkCandidates, vmOfTap } from '../core/model/queries';
import type { HostModel } from '../core/model/types';
import type { ArgSpec, Args, ArgValue, Operation } from '../core/ops/catalog/types';
import { parsePortSpec } from '../core/ops/forward/state';
import { FORWARD_MODE_HELP, networkDevCandidates, type ForwardMode } from '../core/ops/libvirt/networkCreate';
import { checkCidr, checkDnsDomain, checkIp, checkMtu, checkNewName } from '../core/validate';
import { Cancelled } from './context';

type Item<T> = vscode.QuickPickItem & { value: T };

async function pick<T>(items: Item<T>[], title: string, placeHolder: string, empty: string): Promise<T> {
  if (items.length === 0) throw new Error(empty);
  const picked = await vscode.window.showQuickPick(items, { title, placeHolder, matchOnDescription: true });
  if (!picked) throw new Cancelled();
  return picked.value;
}

async function input(title: string, prompt: string, placeHolder: string, validate: (v: string) => string | null | undefined): Promise<string> {
  const v = await vscode.window.showInputBox({ title, prompt, placeHolder, validateInput: (t) => validate(t.trim()) ?? undefined });
  if (v === undefined) throw new Cancelled();
  return v.trim();
}

/** Asks for `spec` (the other arguments so far in `args`); `title` names the command. */
export async function askArg(model: HostModel, op: Operation, spec: ArgSpec, args: Args, title: string): Promise<ArgValue | undefined> {
  const host = model.info.hostname;
  const bridge = typeof args.bridge === 'string' ? args.bridge : typeof args.ifname === 'string' ? args.ifname : '';
  const taken = new Set(model.links.map((l) => l.name));
  switch (spec.kind) {
    case 'bridge':
      return pick(
        model.bridges.map((b) => ({ label: b.name, description: bridgeFacts(b), value: b.name })),
        title,
        'Bridge',
        `${host} has no Linux bridges`,
      );
    case 'port': {
      const br = model.bridges.find((b) => b.name === bridge);
      return pick(
        (br?.ports ?? []).map((p) => ({
          label: p.name,
          description: [p.kind, p.domain ? `VM ${p.domain}` : undefined].filter(Boolean).join(' · '),
          value: p.name,
        })),
        title,
        `Port of ${bridge}`,
        `${bridge} has no ports`,
      );
    }
    case 'freeInterface': {
      const one = await pick(
        freeInterfaces(model).map((l) => ({
          label: l.name,
          description: linkFacts(l),
          detail: l.addresses.length ? 'its addresses stop working once it is a port' : undefined,
          value: l.name,
        })),
        title,
        bridge ? `Interface to add to ${bridge}` : 'Interface',
        `${host} has no free interface`,
      );
      return spec.multiple ? [one] : one;
    }
    case 'uplinkNic':
      return pick(
        uplinkCandidates(model).map((l) => ({ label: l.name, description: linkFacts(l), value: l.name })),
        title,
        "The NIC that carries the host's uplink",
        `${host} has no interface that could be bridged`,
      );
    case 'rawTap':
      return pick(
        rawTaps(model).map((t) => ({ label: t.name, description: [t.master ? `on ${t.master}` : 'no bridge', 'raw tap'].join(' · '), value: t.name })),
        title,
        'Tap',
        `${host} has no tap that no VM holds${
          model.links.some((l) => l.portKind === 'tap')
            ? ` (its taps belong to VMs: ${model.links
                .filter((l) => l.portKind === 'tap')
                .map((l) => `${l.name} (${vmOfTap(model, l.name) ?? 'VM'})`)
                .join(', ')})`
            : ''
        }`,
      );
    case 'newTapName':
    case 'newBridgeName': {
      const what = spec.kind === 'newTapName' ? 'tap name' : 'bridge name';
      return input(
        title,
        `${what[0]!.toUpperCase()}${what.slice(1)} (letters, digits, "-", "_", "."; at most 15 bytes)`,
        spec.kind === 'newTapName' ? 'vnet9' : 'br0',
        (v) => checkNewName(v, what) ?? (taken.has(v) ? `an interface named "${v}" already exists` : null),
      );
    }
    case 'optionalBridge': {
      if (model.bridges.length === 0) return undefined;
      const none = '(no bridge)';
      const picked = await pick(
        [none, ...model.bridges.map((b) => b.name)].map((b) => ({ label: b, value: b })),
        title,
        'Plug it into a bridge? (optional)',
        '',
      );
      return picked === none ? undefined : picked;
    }
    case 'cidr': {
      const have = model.links.find((l) => l.name === bridge)?.addresses ?? [];
      const v = await input(
        title,
        `Address with prefix length${have.length ? ` (${bridge} has ${have.join(', ')})` : ''}`,
        '192.168.9.10/24',
        (t) => checkCidr(t) ?? (have.includes(t) ? `${bridge} already has ${t}` : null),
      );
      return spec.multiple ? [v] : v;
    }
    case 'bridgeAddress': {
      const have = model.links.find((l) => l.name === bridge)?.addresses ?? [];
      if (have.length === 0) throw new Error(`${bridge} has no addresses`);
      const picked = await vscode.window.showQuickPick(
        have.map((a) => ({ label: a, picked: have.length === 1 })),
        { title, placeHolder: 'Addresses to take off (all of them clears the bridge; its routes go with the last one)', canPickMany: true },
      );
      if (!picked || picked.length === 0) throw new Cancelled();
      return picked.map((p) => p.label);
    }
    case 'ip':
      return input(title, 'IP address', '192.168.9.1', checkIp);
    case 'seconds': {
      const v = await input(title, 'Seconds', '15', (t) => (/^\d{1,4}$/.test(t) ? null : 'a whole number of seconds'));
      return Number(v);
    }
    case 'onOff':
      return pick(
        [
          { label: 'On', value: true },
          { label: 'Off', value: false },
        ],
        title,
        spec.description,
        '',
      );
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
    case 'domain':
      return pick(
        model.domains.map((d) => ({ label: d.name, description: [d.state, `${d.interfaces.length} NICs`].join(' · '), value: d.name })),
        title,
        'VM',
        `${host} has no VMs`,
      );
    case 'nic': {
      const vm = typeof args.domain === 'string' ? args.domain : '';
      const dom = model.domains.find((d) => d.name === vm);
      return pick(
        (dom?.interfaces ?? [])
          .filter((i) => i.mac !== null)
          .map((i) => ({
            label: i.mac!,
            description: [i.type, i.source, i.model, i.linkState === 'down' ? 'link down' : undefined].filter(Boolean).join(' · '),
            value: i.mac!,
          })),
        title,
        `NIC of ${vm}`,
        `${vm} has no NICs`,
      );
    }
    case 'nicModel': {
      const offered = model.info.nicModels.length ? model.info.nicModels : ['virtio', 'e1000e', 'e1000', 'rtl8139'];
      // virtio first, with the reason: the guide's advice.
      const ordered = [...offered].sort((a, b) => Number(/^virtio/.test(b)) - Number(/^virtio/.test(a)));
      return pick(
        ordered.map((m) => ({
          label: m,
          description: /^virtio/.test(m) ? 'paravirtual: the fast choice when the guest has the driver' : 'emulated hardware',
          value: m,
        })),
        title,
        'NIC model (takes effect at the next cold boot)',
        '',
      );
    }
    case 'mtu': {
      const net = model.networks.find((n) => n.name === args.network);
      const v = await input(
        title,
        `MTU of the network's bridge and taps${net?.mtu ? ` (now ${net.mtu})` : ' (now the default, 1500)'}; "default" takes it away`,
        '9000',
        (t) => (t === 'default' ? null : checkMtu(Number(t))),
      );
      return v === 'default' ? 0 : Number(v);
    }
    case 'dnsDomain': {
      const net = model.networks.find((n) => n.name === args.network);
      return input(title, `DNS domain${net?.domainName ? ` (now ${net.domainName})` : ''}`, 'lab.example', checkDnsDomain);
    }
    case 'linkState':
      return pick(
        [
          { label: 'Up', value: 'up' },
          { label: 'Down', value: 'down' },
        ],
        title,
        spec.description,
        '',
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
    case 'flag':
      return undefined;
    case 'portSpec': {
      const v = await input(title, 'Host port (or FIRST-LAST) : guest port', '19922:22', (t) => {
        const spec = parsePortSpec(t);
        return typeof spec === 'string' ? spec : null;
      });
      return v;
    }
    case 'proto':
      return pick(
        [
          { label: 'tcp', description: 'ssh, http...', value: 'tcp' },
          { label: 'udp', description: 'dns, games, VPNs...', value: 'udp' },
        ],
        title,
        'Protocol',
        '',
      );
    case 'forwardedPort': {
      const vm = typeof args.domain === 'string' ? args.domain : '';
      const passt = (model.domains.find((d) => d.name === vm)?.interfaces ?? []).flatMap((n) =>
        n.portForwards.flatMap((pf) =>
          pf.ranges
            .filter((r) => !r.exclude)
            .map((r) => ({
              label: `${pf.proto} ${r.start}${r.end ? `-${r.end}` : ''}`,
              description: `→ ${r.to ?? r.start} (passt, NIC ${n.mac})`,
              value: `${r.start}/${pf.proto}`,
            })),
        ),
      );
      return pick(
        [
          ...model.forwards
            .filter((f) => f.vm === vm)
            .map((f) => ({
              label: `${f.proto} ${f.hostPort}`,
              description: `→ ${f.guestIp}:${f.guestPort}${f.hostAddress ? ` (on ${f.hostAddress})` : ''}`,
              value: `${f.hostPort}/${f.proto}`,
            })),
          ...passt,
        ],
        title,
        'Forwarded port',
        `${vm} has no port forwards`,
      );
    }
    case 'handForward': {
      const vm = model.domains.find((d) => d.name === args.domain);
      const ips = new Set(vm?.interfaces.flatMap((n) => n.ips) ?? []);
      return pick(
        model.handForwards
          .filter((h) => ips.has(h.guestIp))
          .map((h) => ({
            label: `${h.proto} ${h.hostPort}`,
            description: `→ ${h.guestIp}:${h.guestPort} (written by hand)`,
            value: `${h.hostPort}/${h.proto}`,
          })),
        title,
        'Hand-written forward',
        `no hand-written DNAT rule forwards to ${String(args.domain)}`,
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
    case 'force': {
      const reasons = op.insist?.(model, args) ?? [];
      if (reasons.length === 0) return undefined;
      // "Delete Bridge" → "Delete Anyway": the verb the user is insisting on.
      const insist = `${title.split(' ')[0]} Anyway`;
      const choice = await vscode.window.showWarningMessage(
        `${title}: ${String(args.bridge ?? args.name ?? '')} carries ${reasons.join(' and ')}. Go on anyway?`,
        { modal: true, detail: 'VirtNet refuses this while it is in use unless you insist. The next dialog lists the plan before anything runs.' },
        insist,
      );
      if (choice !== insist) throw new Cancelled();
      return true;
    }
  }
}

/**
 * Values a caller passed as plain strings (scripts, keybindings, tests) into their kind's type:
 * `'all'` for a bridge's addresses means every one of them.
 */
export function coerceArg(model: HostModel, spec: ArgSpec, v: unknown, args: Args): ArgValue | undefined {
  if (v === undefined || v === null) return undefined;
  if (spec.kind === 'bridgeAddress' && v === 'all') {
    const bridge = typeof args.ifname === 'string' ? args.ifname : typeof args.bridge === 'string' ? args.bridge : '';
    return model.links.find((l) => l.name === bridge)?.addresses ?? [];
  }
  if (spec.kind === 'force') return v === true || v === 'force';
  if (spec.kind === 'restart') return v === true || v === 'restart';
  if (spec.kind === 'onOff' || spec.kind === 'flag') return v === true || v === 'on';
  if (spec.kind === 'seconds') return typeof v === 'number' ? v : Number(v);
  if (spec.kind === 'mtu') return typeof v === 'number' ? v : v === 'default' ? 0 : Number(v);
  if (typeof v === 'string') return spec.multiple ? (v === '' ? [] : [v]) : v === '' && spec.kind === 'optionalBridge' ? undefined : v;
  if (Array.isArray(v) && v.every((x) => typeof x === 'string')) return v as string[];
  return undefined;
}
