/**
 * Editing a libvirt network's definition: the MTU and the DNS domain. The new definition is the
 * host's current one (`--inactive`, from the model) with only those elements changed, so
 * everything VirtNet has no field for (metadata, dnsmasq options, portgroups...) stays exactly
 * as it was; the plan checks the definition is still that text before it redefines it.
 */
import { networkUsers, OWN_BRIDGE_MODES } from '../../model/queries';
import type { HostModel } from '../../model/types';
import { checkDnsDomain, checkMtu } from '../../validate';
import { PlanInputError, plan, type Plan } from '../plan';
import { netDefineStep, networkNamed } from './virsh';
import { child, escapeAttr, parseXmlTree, XmlEdit, type XmlElement } from './xmlEdit';

export interface NetworkEditIntent {
  network: string;
  /** A new MTU; null takes the element away (the kernel's default, 1500). */
  mtu?: number | null;
  /** A new DNS domain; null takes it away. */
  dnsDomain?: string | null;
}

/** One edit of the text, re-reading the tree each time, so edits never see stale offsets. */
function edited(xml: string, change: (root: XmlElement, e: XmlEdit) => void): string {
  const e = new XmlEdit(xml);
  change(parseXmlTree(xml), e);
  return e.result();
}

/** Sets `<name attr=value/>` under the network, or removes it (value null). */
function setSimple(xml: string, name: string, attr: string, value: string | null, after: string[]): string {
  return edited(xml, (root, e) => {
    const el = child(root, name);
    if (value === null) {
      if (el) e.remove(el);
    } else if (el) {
      e.setAttr(el, attr, value);
    } else {
      // Where libvirt itself prints it, so a diff of the two definitions stays one line.
      const anchor = after.map((n) => child(root, n)).find((x) => x !== undefined);
      e.append(root, `<${name} ${attr}='${escapeAttr(value)}'/>`, anchor);
    }
  });
}

export function planNetworkEdit(model: HostModel, intent: NetworkEditIntent): Plan {
  const problems: string[] = [];
  const net = networkNamed(model, intent.network);
  if (net.inactiveXml === null) {
    problems.push(
      net.persistent
        ? `the definition of network ${net.name} could not be read: refresh and try again`
        : `network ${net.name} is transient (made with net-create): it has no definition to edit`,
    );
  }
  // libvirt refuses both on a network that is not its own bridge ("mtu size only allowed in
  // open, route, nat, and isolated mode"): say so before anything runs.
  const own = OWN_BRIDGE_MODES.includes(net.forwardMode);
  const notOwn = (what: string) =>
    `network ${net.name} uses forward mode ${net.forwardMode}: libvirt sets ${what} only on networks with a bridge of their own (${OWN_BRIDGE_MODES.join(', ')}); set it on the host's bridge or NIC instead`;
  if (!own && typeof intent.mtu === 'number') problems.push(notOwn('an MTU'));
  if (!own && typeof intent.dnsDomain === 'string') problems.push(notOwn('a DNS domain'));
  const changes: string[] = [];
  // Compared with the definition, which the edit changes (a running network may differ from it).
  const def = { ...net, ...net.pending };
  if (intent.mtu !== undefined) {
    if (intent.mtu !== null) {
      const bad = checkMtu(intent.mtu);
      if (bad) problems.push(bad);
    }
    if (intent.mtu === def.mtu) problems.push(`network ${net.name} already has ${def.mtu === null ? 'no MTU set' : `MTU ${def.mtu}`}`);
    else changes.push(`MTU ${def.mtu ?? 'default'} → ${intent.mtu ?? 'default (1500)'}`);
  }
  if (intent.dnsDomain !== undefined) {
    if (intent.dnsDomain !== null) {
      const bad = checkDnsDomain(intent.dnsDomain);
      if (bad) problems.push(bad);
    }
    if (intent.dnsDomain === def.domainName)
      problems.push(`network ${net.name} already has ${def.domainName === null ? 'no DNS domain' : `the DNS domain ${def.domainName}`}`);
    else changes.push(`DNS domain ${def.domainName ?? 'none'} → ${intent.dnsDomain ?? 'none'}`);
  }
  if (intent.mtu === undefined && intent.dnsDomain === undefined) problems.push('nothing to change: give an MTU or a DNS domain');
  if (problems.length) throw new PlanInputError(problems);

  const before = net.inactiveXml!;
  let xml = before;
  if (intent.mtu !== undefined) xml = setSimple(xml, 'mtu', 'size', intent.mtu === null ? null : String(intent.mtu), ['bridge', 'mac', 'uuid', 'name']);
  if (intent.dnsDomain !== undefined) xml = setSimple(xml, 'domain', 'name', intent.dnsDomain, ['mac', 'mtu', 'bridge', 'forward', 'uuid', 'name']);

  const warnings: string[] = [];
  if (net.active) {
    const users = networkUsers(model, net);
    warnings.push(
      `network ${net.name} is running: libvirt keeps running it as it is until it restarts (virsh net-destroy ${net.name}; virsh net-start ${net.name})` +
        (users.length ? `, which takes the links of ${users.join(', ')} down for a moment` : ''),
    );
  }
  const what = changes.join(', ');
  return plan(
    `Edit network ${net.name}: ${what}`,
    [netDefineStep(model.libvirtUri, net.name, xml, before, `the new definition of ${net.name}: ${what}; the rest as it was`, what)],
    {
      warnings,
      before: [{ fact: 'definition', kind: 'network', name: net.name, uri: model.libvirtUri, xml: before }],
      // libvirt prints a definition back as it read it when the edit is written its way (single
      // quotes, its element order): anything else it changed is reported, not hidden.
      after: [{ fact: 'definition', kind: 'network', name: net.name, uri: model.libvirtUri, xml }],
    },
  );
}
