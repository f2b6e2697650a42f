/**
 * One picker per argument kind of the operation catalog: when a command runs from the palette
 * (or a node supplies only some arguments), each missing argument is asked for by its kind, from
 * the host's current model. Input is checked live with the core's own validators.
 */
import * as vscode from 'vscode';
import { bridgeFacts, freeInterfaces, linkFacts, rawTaps, uplinkCandidates, vmOfTap } from '../core/model/queries';
import type { HostModel } from '../core/model/types';
import type { ArgSpec, Args, ArgValue, Operation } from '../core/ops/catalog/types';
import { checkCidr, checkDnsDomain, checkIp, checkMtu, checkNewName } from '../core/validate';
import { Cancelled } from './context';
import { askForwardArg } from './argsForward';
import { askNetworkArg } from './argsNetwork';
import { askNicArg } from './argsNic';
import { input, pick } from './pickers';

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
        op.id === 'nic.attach' ? 'NIC model of the new NIC' : 'NIC model (takes effect at the next cold boot)',
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
    case 'network':
    case 'newNetworkName':
    case 'forwardMode':
    case 'networkDev':
    case 'dhcpRange':
    case 'dhcpHost':
    case 'staticHost':
    case 'networkRange':
    case 'definition':
    case 'restart':
      return askNetworkArg(model, spec, args, title);
    case 'portSpec':
    case 'proto':
    case 'forwardedPort':
    case 'handForward':
    case 'restartLibvirt':
      return askForwardArg(model, spec, args, title);
    case 'nicVia':
    case 'moveVia':
    case 'macvtapMode':
    case 'newMac':
    case 'queues':
      return askNicArg(model, spec, args, title);
    case 'flag':
      return undefined;
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
  if (spec.kind === 'restartLibvirt') return v === true || v === 'restart';
  if (spec.kind === 'onOff' || spec.kind === 'flag') return v === true || v === 'on';
  if (spec.kind === 'seconds' || spec.kind === 'queues') return typeof v === 'number' ? v : Number(v);
  if (spec.kind === 'mtu') return typeof v === 'number' ? v : v === 'default' ? 0 : Number(v);
  if (typeof v === 'string') return spec.multiple ? (v === '' ? [] : [v]) : v === '' && spec.kind === 'optionalBridge' ? undefined : v;
  if (Array.isArray(v) && v.every((x) => typeof x === 'string')) return v as string[];
  return undefined;
}
