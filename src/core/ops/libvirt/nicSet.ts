/**
 * Changing a VM NIC: its model (in the definition: it takes effect at the next cold boot) and its
 * link state (live with domif-setlink, and in the definition). The definition's change is the
 * NIC's own `<interface>` element from the host's current definition with only `<model>` or
 * `<link>` changed, given to `virsh update-device --config`; its undo gives back the exact element
 * it replaced. Everything else of the NIC (VLAN, virtual port, boot order, PCI slot) is untouched.
 */
import { isVirtioModel as isVirtio } from '../../model/queries';
import type { Domain, DomainInterface, HostModel } from '../../model/types';
import { checkMac, checkNicModelName } from '../../validate';
import type { Fact } from '../facts';
import { PlanInputError, plan, type Plan, type Step, step } from '../plan';
import { fitDisplay, virshArgv, virshWithXmlArgv } from './virsh';
import { attr, child, childrenNamed, escapeAttr, parseXmlTree, XmlEdit, type XmlElement } from './xmlEdit';

export interface NicSetIntent {
  domain: string;
  mac: string;
  model?: string;
  link?: 'up' | 'down';
  /** Move the NIC to another libvirt network or host bridge (live where it runs: its tap moves). */
  source?: { type: 'network'; network: string } | { type: 'bridge'; bridge: string };
}

/** `text` (one `<interface>` element) on another network or bridge: its type and `<source>` only. */
function moveInterface(text: string, to: NonNullable<NicSetIntent['source']>): string {
  const e = new XmlEdit(text);
  const el = parseXmlTree(text);
  e.setAttr(el, 'type', to.type);
  const src = to.type === 'network' ? `<source network='${escapeAttr(to.network)}'/>` : `<source bridge='${escapeAttr(to.bridge)}'/>`;
  const old = child(el, 'source');
  if (old) e.replace(old, src);
  else e.append(el, src, child(el, 'mac'));
  return e.result();
}

const sourceOf = (el: XmlElement) => {
  const s = child(el, 'source');
  return `${attr(el, 'type') ?? '?'} ${(s && (attr(s, 'network') ?? attr(s, 'bridge'))) ?? '?'}`;
};

const running = (d: Domain) => d.state === 'running' || d.state === 'paused';

/** The `<interface>` element with this MAC in a domain's XML, or undefined. */
export function interfaceElement(xml: string, mac: string): { el: XmlElement; text: string } | undefined {
  const root = parseXmlTree(xml);
  const devices = child(root, 'devices');
  const el = devices && childrenNamed(devices, 'interface').find((i) => attr(child(i, 'mac') ?? i, 'address')?.toLowerCase() === mac);
  return el ? { el, text: xml.slice(el.start, el.end) } : undefined;
}

/** `text` (one `<interface>` element) with its model and link changed as asked. */
function editInterface(text: string, model: string | undefined, link: 'up' | 'down' | undefined, dropDriver: boolean): string {
  let out = text;
  const once = (change: (el: XmlElement, e: XmlEdit) => void) => {
    const e = new XmlEdit(out);
    change(parseXmlTree(out), e);
    out = e.result();
  };
  if (model !== undefined) {
    once((el, e) => {
      const m = child(el, 'model');
      if (m) e.setAttr(m, 'type', model);
      else e.append(el, `<model type='${escapeAttr(model)}'/>`, child(el, 'source') ?? child(el, 'mac'));
    });
  }
  if (dropDriver) {
    once((el, e) => {
      const d = child(el, 'driver');
      if (d) e.remove(d);
    });
  }
  if (link !== undefined) {
    once((el, e) => {
      const l = child(el, 'link');
      if (l) e.setAttr(l, 'state', link);
      // No <link> is up already: only down needs writing.
      else if (link === 'down') e.append(el, `<link state='down'/>`, child(el, 'model') ?? child(el, 'source') ?? child(el, 'mac'));
    });
  }
  return out;
}

export function planNicSet(model: HostModel, intent: NicSetIntent): Plan {
  const mac = intent.mac.toLowerCase();
  const dom = model.domains.find((d) => d.name === intent.domain);
  if (!dom) throw new PlanInputError([`${model.info.hostname} has no VM named "${intent.domain}"`]);
  const problems: string[] = [];
  const macBad = checkMac(mac);
  if (macBad) throw new PlanInputError([macBad]);
  const defined = dom.inactiveXml !== null ? interfaceElement(dom.inactiveXml, mac) : undefined;
  const live: DomainInterface | undefined = dom.interfaces.find((i) => i.mac === mac);
  if (!live && !defined) throw new PlanInputError([`VM ${dom.name} has no NIC with the MAC ${mac}`]);
  if (intent.model === undefined && intent.link === undefined && intent.source === undefined)
    problems.push('nothing to change: give a model, a link state, or a network or bridge to move to');

  const warnings: string[] = [];
  const steps: Step[] = [];
  const changes: string[] = [];
  // What the definition says now (a stopped VM: its XML is its definition).
  const defModel = defined ? (attr(child(defined.el, 'model') ?? defined.el, 'type') ?? null) : null;
  const defLink = defined ? (attr(child(defined.el, 'link') ?? defined.el, 'state') ?? 'up') : null;
  let dropDriver = false;

  if (intent.model !== undefined) {
    const bad = checkNicModelName(intent.model);
    if (bad) problems.push(bad);
    else if (!defined) problems.push(`VM ${dom.name} is transient or its definition could not be read: a model is changed in the definition`);
    else if (defModel === intent.model) problems.push(`the NIC ${mac} of ${dom.name} already has the model ${intent.model}`);
    const offered = model.info.nicModels;
    if (!bad && offered.length && !offered.includes(intent.model) && !(intent.model === 'virtio' && offered.some(isVirtio))) {
      problems.push(`the host's QEMU offers no NIC model "${intent.model}" (it has ${offered.join(', ')})`);
    }
    if (defined && !bad) {
      changes.push(`model ${defModel ?? 'default'} → ${intent.model}`);
      if (!isVirtio(intent.model) && child(defined.el, 'driver')) {
        dropDriver = true;
        warnings.push(`its <driver> settings (vhost, queues) are virtio-net's: they go with the change to ${intent.model}`);
      }
      if (running(dom))
        warnings.push(
          `${dom.name} runs: the new model takes effect at its next cold boot (shut it down and start it; a reboot inside the guest keeps the old one)`,
        );
      if (!isVirtio(intent.model))
        warnings.push(`${intent.model} is emulated hardware: virtio-net is faster and lighter on the host's CPU when the guest has its driver`);
      else if (!isVirtio(defModel)) warnings.push('the guest needs the virtio-net driver: Linux has it since 2.6.25; Windows needs the virtio-win drivers');
    }
  }
  const configLink = intent.link !== undefined && defined !== undefined && defLink !== intent.link;
  let liveLinkTo: 'up' | 'down' | undefined;
  if (intent.link !== undefined) {
    const liveLink = live?.linkState ?? 'up';
    const liveChange = running(dom) && live !== undefined && liveLink !== intent.link;
    if (!liveChange && !configLink) problems.push(`the link of ${mac} on ${dom.name} is already ${intent.link}`);
    if (configLink) changes.push(`link ${defLink} → ${intent.link}`);
    if (liveChange) {
      liveLinkTo = intent.link;
      steps.push(
        step(
          virshArgv(model.libvirtUri, 'domif-setlink', '--domain', dom.name, '--interface', mac, '--state', intent.link),
          `the running guest sees its link ${intent.link}`,
          virshArgv(model.libvirtUri, 'domif-setlink', '--domain', dom.name, '--interface', mac, '--state', liveLink),
          { kind: 'libvirt', display: fitDisplay(`virsh domif-setlink ${dom.name} ${mac} ${intent.link}`) },
        ),
      );
      if (!configLink) changes.push(`link ${liveLink} → ${intent.link} (running guest)`);
    }
  }
  let moved: { live: string | undefined; config: string | undefined } | undefined;
  const liveEl = running(dom) && live ? interfaceElement(dom.xml, mac) : undefined;
  if (intent.source) {
    const to = intent.source;
    const name = to.type === 'network' ? to.network : to.bridge;
    if (to.type === 'network' && !model.networks.some((n) => n.name === to.network))
      problems.push(`${model.info.hostname} has no libvirt network named "${to.network}"`);
    else if (to.type === 'network' && liveEl && !model.networks.find((n) => n.name === to.network)!.active)
      problems.push(`network ${to.network} is not running: the running guest's NIC can only move to a running network`);
    if (to.type === 'bridge' && !model.bridges.some((b) => b.name === to.bridge)) problems.push(`${model.info.hostname} has no bridge "${to.bridge}"`);
    const cur = (defined ?? liveEl)?.el;
    if (cur && sourceOf(cur) === `${to.type} ${name}` && (!liveEl || sourceOf(liveEl.el) === `${to.type} ${name}`))
      problems.push(`the NIC ${mac} of ${dom.name} is on ${to.type} ${name} already`);
    const kind = cur ? attr(cur, 'type') : undefined;
    if (kind && kind !== 'network' && kind !== 'bridge')
      problems.push(`the NIC ${mac} is of type ${kind}: only network and bridge NICs move (detach it and attach a new one)`);
    moved = { live: liveEl ? moveInterface(liveEl.text, to) : undefined, config: defined ? moveInterface(defined.text, to) : undefined };
    changes.push(`to ${to.type} ${name}`);
    if (liveEl) warnings.push(`${dom.name}'s tap moves to ${to.type} ${name} now: the guest keeps its NIC but may need a new DHCP lease there`);
  }
  if (problems.length) throw new PlanInputError(problems);

  const before: Fact[] = [];
  const promised: Fact[] = [];
  if (liveLinkTo) promised.push({ fact: 'nicLink', domain: dom.name, mac, uri: model.libvirtUri, state: liveLinkTo });
  if (moved?.live && liveEl) {
    const update = (xml: string) => virshWithXmlArgv(model.libvirtUri, xml, 'update-device', '--domain', dom.name, '--live', '--file');
    steps.push(
      step(update(moved.live), `the running ${dom.name}'s NIC ${mac} ${changes.find((c) => c.startsWith('to '))} (its tap moves)`, update(liveEl.text), {
        kind: 'libvirt',
        display: fitDisplay(`virsh update-device ${dom.name} --live (NIC ${mac} ${changes.find((c) => c.startsWith('to '))})`),
      }),
    );
  }
  if (defined && (intent.model !== undefined || configLink || moved?.config)) {
    const edited = editInterface(defined.text, intent.model, configLink ? intent.link : undefined, dropDriver);
    const after = intent.source ? moveInterface(edited, intent.source) : edited;
    const update = (xml: string) => virshWithXmlArgv(model.libvirtUri, xml, 'update-device', '--domain', dom.name, '--config', '--file');
    steps.unshift(
      step(
        update(after),
        `the definition's NIC ${mac}: ${changes.filter((c) => !c.endsWith('(running guest)')).join(', ')}; the rest of it as it was`,
        update(defined.text),
        {
          kind: 'libvirt',
          display: fitDisplay(`virsh update-device ${dom.name} --config (NIC ${mac}: ${changes.filter((c) => !c.endsWith('(running guest)')).join(', ')})`),
        },
      ),
    );
    before.push({ fact: 'definition', kind: 'domain', name: dom.name, uri: model.libvirtUri, xml: dom.inactiveXml! });
    const full = dom.inactiveXml!;
    promised.push({
      fact: 'definition',
      kind: 'domain',
      name: dom.name,
      uri: model.libvirtUri,
      xml: full.slice(0, defined.el.start) + after + full.slice(defined.el.end),
    });
  }
  return plan(`Change NIC ${mac} of ${dom.name}: ${changes.join(', ')}`, steps, { warnings, before, after: promised });
}
