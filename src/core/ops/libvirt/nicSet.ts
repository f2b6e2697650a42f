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
}

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
  if (intent.model === undefined && intent.link === undefined) problems.push('nothing to change: give a model or a link state');

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
  if (problems.length) throw new PlanInputError(problems);

  const before: Fact[] = [];
  const promised: Fact[] = [];
  if (liveLinkTo) promised.push({ fact: 'nicLink', domain: dom.name, mac, uri: model.libvirtUri, state: liveLinkTo });
  if (defined && (intent.model !== undefined || configLink)) {
    const after = editInterface(defined.text, intent.model, configLink ? intent.link : undefined, dropDriver);
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
