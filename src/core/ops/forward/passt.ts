/**
 * Port forwards of user-mode NICs on passt: libvirt's own `<portForward>` elements in the NIC's
 * definition (libvirt 9.0+, working from 9.2). passt takes its forwards when it starts with the
 * guest, so a change applies at the VM's next start (said so). SLIRP has no forward element in
 * libvirt: refused with the reason and the way to passt. The NIC's `<interface>` element is
 * edited in place (everything else of it kept) and given to `virsh update-device --config`.
 */
import type { Domain, DomainInterface, HostModel } from '../../model/types';
import type { Fact } from '../facts';
import { interfaceElement } from '../libvirt/nicSet';
import { fitDisplay, virshWithXmlArgv } from '../libvirt/virsh';
import { attr, child, childrenNamed, escapeAttr, parseXmlTree, XmlEdit, type XmlElement } from '../libvirt/xmlEdit';
import { unifiedDiff } from '../../lines';
import { PlanInputError, plan, step, type Plan } from '../plan';
import type { ForwardProto, PortSpec } from './state';

const running = (d: Domain) => d.state === 'running' || d.state === 'paused';

/** The `<portForward>` VirtNet writes for one forward. */
export function portForwardXml(proto: ForwardProto, spec: PortSpec, hostAddress: string | null): string {
  const end = spec.hostPortEnd !== spec.hostPort ? ` end='${spec.hostPortEnd}'` : '';
  return `<portForward proto='${proto}'${hostAddress ? ` address='${escapeAttr(hostAddress)}'` : ''}>\n  <range start='${spec.hostPort}'${end} to='${spec.guestPort}'/>\n</portForward>`;
}

/** Why a user-mode NIC cannot take a libvirt forward, or null when it can (passt). */
export function passtProblem(dom: Domain, nic: DomainInterface): string | null {
  if (nic.backend === 'passt') return null;
  return `${dom.name}'s NIC ${nic.mac} is user-mode on SLIRP: libvirt has no forward element for SLIRP (only QEMU's hostfwd on its own command line). Switch the NIC to passt (<backend type='passt'/> in its <interface>; the host needs the passt package) and forward then`;
}

export function planPasstForward(
  model: HostModel,
  dom: Domain,
  nic: DomainInterface,
  op: { add: { proto: ForwardProto; spec: PortSpec; hostAddress: string | null } } | { remove: { proto: ForwardProto; port: number } },
): Plan {
  const bad = passtProblem(dom, nic);
  if (bad) throw new PlanInputError([bad]);
  const mac = nic.mac!;
  const def = dom.inactiveXml !== null ? interfaceElement(dom.inactiveXml, mac) : undefined;
  if (!def) throw new PlanInputError([`VM ${dom.name} is transient or its definition could not be read: forwards of a passt NIC live in its definition`]);
  const e = new XmlEdit(def.text);
  const el = parseXmlTree(def.text);
  let what: string;
  if ('add' in op) {
    const { proto, spec, hostAddress } = op.add;
    // After the last <portForward>, else after <mac>: where libvirt prints them (before <model>).
    const last = childrenNamed(el, 'portForward').at(-1) ?? child(el, 'mac');
    e.append(el, portForwardXml(proto, spec, hostAddress), last);
    what = `${proto} ${spec.hostPort}${spec.hostPortEnd !== spec.hostPort ? `-${spec.hostPortEnd}` : ''} → ${spec.guestPort}`;
  } else {
    const { proto, port } = op.remove;
    // From the definition itself (a running VM's live XML may differ from it).
    const holds = (pf: XmlElement) =>
      (attr(pf, 'proto') ?? 'tcp') === proto &&
      childrenNamed(pf, 'range').some((r) => {
        const start = Number(attr(r, 'start'));
        const end = attr(r, 'end') !== null ? Number(attr(r, 'end')) : start;
        return attr(r, 'exclude') !== 'yes' && start <= port && port <= end;
      });
    const gone = childrenNamed(el, 'portForward').filter(holds);
    if (!gone.length) throw new PlanInputError([`${dom.name}'s passt NIC ${mac} forwards no ${proto} port ${port} in its definition`]);
    for (const g of gone) e.remove(g);
    what = `no ${proto} ${port}`;
  }
  const after = e.result();
  const update = (xml: string) => virshWithXmlArgv(model.libvirtUri, xml, 'update-device', '--domain', dom.name, '--config', '--file');
  const full = dom.inactiveXml!;
  const before: Fact[] = [{ fact: 'definition', kind: 'domain', name: dom.name, uri: model.libvirtUri, xml: full }];
  const promised: Fact[] = [
    { fact: 'definition', kind: 'domain', name: dom.name, uri: model.libvirtUri, xml: full.slice(0, def.el.start) + after + full.slice(def.el.end) },
  ];
  return plan(
    `${'add' in op ? 'Forward' : 'Stop forwarding'} ${what.replace(/^no /, '')} to ${dom.name} (passt)`,
    [
      step(update(after), `the definition's passt NIC ${mac}: ${what}; the rest of it as it was`, update(def.text), {
        kind: 'libvirt',
        display: fitDisplay(`virsh update-device ${dom.name} --config (passt NIC ${mac}: ${what})`),
        document: { label: `NIC ${mac}, changed (- now, + new)`, text: unifiedDiff(def.text, after) },
      }),
    ],
    {
      warnings: running(dom)
        ? [`${dom.name} runs: passt takes its forwards when the VM starts, so this applies at its next start (shut it down and start it)`]
        : [],
      before,
      after: promised,
    },
  );
}
