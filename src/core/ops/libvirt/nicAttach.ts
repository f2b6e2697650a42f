/**
 * Adding a NIC to a VM and taking one away (virsh attach-device / detach-device), live and in the
 * definition. The new NIC is written from checked values only: its source (a libvirt network, a
 * host bridge, macvtap over a host NIC, or user-mode networking), a model the host's QEMU offers
 * (virtio by default), a MAC that no NIC of the host uses (given, or made from the VM's name in
 * libvirt's 52:54:00 range) and, for virtio, a queue count. Detaching gives back, as its undo, the
 * exact element it took away. A live unplug needs the guest's help (ACPI or PCIe hotplug): the
 * step waits for the NIC to leave the running VM, bounded, and says so when it does not.
 */
import { isVirtioModel } from '../../model/queries';
import type { Domain, HostModel } from '../../model/types';
import { checkIfName, checkMac, checkNicModelName } from '../../validate';
import type { Fact } from '../facts';
import { PlanInputError, plan, step, type Plan, type Step } from '../plan';
import { interfaceElement } from './nicSet';
import { fitDisplay, virshWithXmlArgv } from './virsh';
import { child, escapeAttr, parseXmlTree, XmlEdit } from './xmlEdit';

export type NicSource =
  | { type: 'network'; network: string }
  | { type: 'bridge'; bridge: string }
  | { type: 'direct'; dev: string; mode: DirectMode }
  | { type: 'user'; passt: boolean };

export const DIRECT_MODES = ['bridge', 'vepa', 'private', 'passthrough'] as const;
export type DirectMode = (typeof DIRECT_MODES)[number];

export interface NicAttachIntent {
  domain: string;
  source: NicSource;
  model?: string;
  mac?: string;
  queues?: number;
  /** Where: the running VM, its definition. Neither given: both where they exist. */
  live?: boolean;
  config?: boolean;
}

export const running = (d: Domain) => d.state === 'running' || d.state === 'paused';

/** Every MAC a NIC of the host's VMs has, live or defined, lowercased. */
function macsInUse(model: HostModel): Set<string> {
  const out = new Set<string>();
  for (const d of model.domains) {
    for (const n of d.interfaces) if (n.mac) out.add(n.mac.toLowerCase());
    for (const m of (d.inactiveXml ?? '').matchAll(/<mac address='([0-9a-fA-F:]{17})'/g)) out.add(m[1]!.toLowerCase());
  }
  return out;
}

/**
 * A MAC in libvirt's 52:54:00 range made from the VM's name and a counter (the same plan for the
 * same host, unlike a random one), the first no NIC of the host has.
 */
export function freeMac(model: HostModel, vm: string): string {
  const used = macsInUse(model);
  for (let k = 0; k < 1 << 16; k++) {
    let h = 2166136261;
    for (const c of `${vm}#${k}`) h = Math.imul(h ^ c.charCodeAt(0), 16777619) >>> 0;
    const mac = `52:54:00:${[h >>> 16, h >>> 8, h].map((b) => (b & 255).toString(16).padStart(2, '0')).join(':')}`;
    if (!used.has(mac)) return mac;
  }
  throw new PlanInputError([`no free MAC found for ${vm}`]);
}

function sourceProblems(model: HostModel, s: NicSource): string[] {
  const host = model.info.hostname;
  switch (s.type) {
    case 'network': {
      const net = model.networks.find((n) => n.name === s.network);
      if (!net) return [`${host} has no libvirt network named "${s.network}"`];
      return [];
    }
    case 'bridge': {
      const bad = checkIfName(s.bridge, 'bridge name');
      if (bad) return [bad];
      if (!model.bridges.some((b) => b.name === s.bridge)) return [`${host} has no bridge ${s.bridge}`];
      return [];
    }
    case 'direct': {
      const bad = checkIfName(s.dev, 'interface name');
      if (bad) return [bad];
      if (!(DIRECT_MODES as readonly string[]).includes(s.mode)) return [`"${s.mode}" is not a macvtap mode (${DIRECT_MODES.join(', ')})`];
      const link = model.links.find((l) => l.name === s.dev);
      if (!link) return [`${host} has no interface ${s.dev}`];
      if (link.kind === 'bridge') return [`${s.dev} is a bridge: attach to it with --bridge (macvtap goes over a NIC)`];
      // The kernel gives a NIC's receive path to one owner: a bridge port cannot carry macvtap too.
      if (link.master) return [`${s.dev} is a port of ${link.master}: macvtap needs a NIC no bridge holds (or attach to ${link.master} with --bridge)`];
      return [];
    }
    case 'user':
      return [];
  }
}

/** The `<interface>` element of a new NIC, from checked values only. */
export function interfaceXml(s: NicSource, mac: string, modelName: string, queues: number | undefined): string {
  const a = escapeAttr;
  const src =
    s.type === 'network'
      ? `<source network='${a(s.network)}'/>`
      : s.type === 'bridge'
        ? `<source bridge='${a(s.bridge)}'/>`
        : s.type === 'direct'
          ? `<source dev='${a(s.dev)}' mode='${s.mode}'/>`
          : s.passt
            ? `<backend type='passt'/>`
            : '';
  const lines = [
    `<interface type='${s.type}'>`,
    `  <mac address='${mac}'/>`,
    ...(src ? [`  ${src}`] : []),
    `  <model type='${a(modelName)}'/>`,
    ...(queues !== undefined ? [`  <driver name='vhost' queues='${queues}'/>`] : []),
    `</interface>`,
  ];
  return lines.join('\n');
}

const where = (live: boolean, config: boolean) => [...(live ? ['--live'] : []), ...(config ? ['--config'] : [])];

/** Live and config as asked, else both where they exist; refused where one cannot be. */
function targets(dom: Domain, i: { live?: boolean; config?: boolean }, problems: string[]): { live: boolean; config: boolean } {
  const neither = !i.live && !i.config;
  const live = neither ? running(dom) : !!i.live;
  const config = neither ? dom.persistent : !!i.config;
  if (live && !running(dom)) problems.push(`${dom.name} is not running: --live needs it running (leave it out to change the definition)`);
  if (config && !dom.persistent) problems.push(`${dom.name} is transient: it has no definition for --config`);
  return { live, config };
}

function describe(s: NicSource): string {
  switch (s.type) {
    case 'network':
      return `network ${s.network}`;
    case 'bridge':
      return `bridge ${s.bridge}`;
    case 'direct':
      return `macvtap on ${s.dev} (${s.mode})`;
    case 'user':
      return s.passt ? 'user-mode networking (passt)' : 'user-mode networking (SLIRP)';
  }
}

export function planNicAttach(model: HostModel, i: NicAttachIntent): Plan {
  const dom = model.domains.find((d) => d.name === i.domain);
  if (!dom) throw new PlanInputError([`${model.info.hostname} has no VM named "${i.domain}"`]);
  const problems = sourceProblems(model, i.source);
  const { live, config } = targets(dom, i, problems);
  const modelName = i.model ?? 'virtio';
  const badModel = checkNicModelName(modelName);
  if (badModel) problems.push(badModel);
  const offered = model.info.nicModels;
  if (!badModel && offered.length && !offered.includes(modelName) && !(modelName === 'virtio' && offered.some(isVirtioModel)))
    problems.push(`the host's QEMU offers no NIC model "${modelName}" (it has ${offered.join(', ')})`);
  if (i.queues !== undefined) {
    if (!Number.isInteger(i.queues) || i.queues < 1 || i.queues > 256) problems.push(`--queues takes 1 to 256, not ${i.queues}`);
    else if (!isVirtioModel(modelName)) problems.push(`--queues is virtio-net's multiqueue: ${modelName} has none`);
  }
  let mac = i.mac?.toLowerCase();
  if (mac !== undefined) {
    const bad = checkMac(mac);
    if (bad) problems.push(bad);
    else if (macsInUse(model).has(mac)) problems.push(`a NIC on ${model.info.hostname} has the MAC ${mac} already`);
    else if (parseInt(mac.slice(0, 2), 16) & 1) problems.push(`${mac} is a multicast address: a NIC needs a unicast one`);
  }
  if (!live && !config && !problems.length) problems.push('nothing to change');
  if (problems.length) throw new PlanInputError(problems);
  mac ??= freeMac(model, dom.name);

  const xml = interfaceXml(i.source, mac, modelName, i.queues);
  const flags = where(live, config);
  const what = `${describe(i.source)}, ${modelName}, ${mac}`;
  const steps: Step[] = [
    step(
      virshWithXmlArgv(model.libvirtUri, xml, 'attach-device', '--domain', dom.name, ...flags, '--file'),
      `${dom.name} gets a NIC on ${what}${live ? ' (hotplugged into the running guest)' : ''}${config ? `${live ? ' and' : ''} in its definition` : ''}`,
      virshWithXmlArgv(model.libvirtUri, xml, 'detach-device', '--domain', dom.name, ...flags, '--file'),
      {
        kind: 'libvirt',
        display: fitDisplay(`virsh attach-device ${dom.name} ${flags.join(' ')} (NIC ${mac} on ${describe(i.source)})`),
        document: { label: 'the NIC, as handed to virsh', text: xml },
      },
    ),
  ];
  const warnings: string[] = [];
  if (!isVirtioModel(modelName))
    warnings.push(
      `${modelName} is emulated hardware: virtio-net is faster and lighter on the host's CPU when the guest has its driver (Linux since 2.6.25; Windows with virtio-win)`,
    );
  if (i.source.type === 'direct')
    warnings.push(
      `macvtap: ${dom.name} reaches the LAN through ${i.source.dev}, but the host itself cannot reach ${dom.name} over this NIC (a bridge lets it)`,
    );
  if (i.source.type === 'user')
    warnings.push('user-mode networking: the guest is behind the host with no address of its own on the LAN; reach it through port forwards');
  if (live && /machine='pc-q35|machine='q35/.test(dom.xml) && !freeRootPort(dom.xml))
    warnings.push(`${dom.name} is a q35 guest with no free pcie-root-port: libvirt will refuse the hotplug (add spare root ports to its definition)`);
  const after: Fact[] = [];
  if (live) after.push({ fact: 'nicPresent', domain: dom.name, mac, uri: model.libvirtUri, config: false, present: true });
  if (config) after.push({ fact: 'nicPresent', domain: dom.name, mac, uri: model.libvirtUri, config: true, present: true });
  return plan(`Add a NIC to ${dom.name}: ${what}`, steps, {
    warnings,
    before: [{ fact: 'nicPresent', domain: dom.name, mac, uri: model.libvirtUri, config: config, present: false }],
    after,
  });
}

/** A q35 guest's pcie-root-port with nothing plugged into it (where a hotplugged NIC goes). */
function freeRootPort(xml: string): boolean {
  const ports = [...xml.matchAll(/<controller type='pci' index='(\d+)' model='pcie-root-port'/g)].map((m) => Number(m[1]));
  const busy = new Set([...xml.matchAll(/<address type='pci' domain='0x0000' bus='0x([0-9a-f]{2})'/g)].map((m) => parseInt(m[1]!, 16)));
  return ports.some((p) => !busy.has(p));
}

export interface NicDetachIntent {
  domain: string;
  mac: string;
  live?: boolean;
  config?: boolean;
}

/** How long a live unplug may take before the plan says the guest has not let go. */
export const UNPLUG_WAIT_S = 15;

/**
 * `$1` the NIC's element, `$2` the URI, `$3` the VM, `$4` the MAC: asks for the unplug, then waits
 * until the running VM has no NIC with that MAC. One step, so a guest that never lets go fails
 * this step itself and nothing tries to plug back what libvirt still holds.
 */
const DETACH_LIVE =
  'f=$(mktemp) || exit 1; printf "%s" "$1" > "$f"; virsh -q -c "$2" detach-device --domain "$3" --live --file "$f"; r=$?; rm -f "$f"; [ $r = 0 ] || exit $r; ' +
  `for i in $(seq 1 ${UNPLUG_WAIT_S * 2}); do virsh -q -c "$2" domiflist --domain "$3" | awk '{ print tolower($NF) }' | grep -qx "$4" || exit 0; sleep 0.5; done; ` +
  `echo "the guest has not released the NIC $4 after ${UNPLUG_WAIT_S} s (no ACPI or PCIe hotplug in it?); libvirt keeps the unplug request, and the guest may still let go" >&2; exit 1`;

/** The element as a hotplug takes it back: without what only a running guest has (its tap, its alias). */
function forReplug(text: string): string {
  const e = new XmlEdit(text);
  const el = parseXmlTree(text);
  for (const name of ['target', 'alias']) {
    const c = child(el, name);
    if (c) e.remove(c);
  }
  return e.result();
}

export function planNicDetach(model: HostModel, i: NicDetachIntent): Plan {
  const dom = model.domains.find((d) => d.name === i.domain);
  if (!dom) throw new PlanInputError([`${model.info.hostname} has no VM named "${i.domain}"`]);
  const mac = i.mac.toLowerCase();
  const bad = checkMac(mac);
  if (bad) throw new PlanInputError([bad]);
  const problems: string[] = [];
  const liveEl = running(dom) ? interfaceElement(dom.xml, mac) : undefined;
  const defEl = dom.inactiveXml !== null ? interfaceElement(dom.inactiveXml, mac) : undefined;
  if (!liveEl && !defEl) throw new PlanInputError([`VM ${dom.name} has no NIC with the MAC ${mac}`]);
  const neither = !i.live && !i.config;
  const live = neither ? liveEl !== undefined : !!i.live;
  const config = neither ? defEl !== undefined : !!i.config;
  if (live && !liveEl) problems.push(running(dom) ? `the running ${dom.name} has no NIC ${mac} (only its definition has)` : `${dom.name} is not running`);
  if (config && !defEl) problems.push(`${dom.name}'s definition has no NIC ${mac}`);
  if (problems.length) throw new PlanInputError(problems);

  const steps: Step[] = [];
  const uri = model.libvirtUri;
  // The definition first: a live unplug the guest never finishes then undoes into both again.
  if (config)
    steps.push(
      step(
        virshWithXmlArgv(uri, defEl!.text, 'detach-device', '--domain', dom.name, '--config', '--file'),
        `${dom.name}'s definition loses the NIC ${mac}`,
        virshWithXmlArgv(uri, defEl!.text, 'attach-device', '--domain', dom.name, '--config', '--file'),
        { kind: 'libvirt', display: fitDisplay(`virsh detach-device ${dom.name} --config (NIC ${mac})`) },
      ),
    );
  if (live) {
    const text = liveEl!.text;
    steps.push(
      step(
        ['sh', '-c', DETACH_LIVE, 'virtnet-unplug', text, uri, dom.name, mac],
        `the running ${dom.name} is asked to release the NIC ${mac}, and the plan waits up to ${UNPLUG_WAIT_S} s until it has (the guest must cooperate)`,
        virshWithXmlArgv(uri, forReplug(text), 'attach-device', '--domain', dom.name, '--live', '--file'),
        { kind: 'libvirt', display: fitDisplay(`virsh detach-device ${dom.name} --live (NIC ${mac}), then wait until it has left`) },
      ),
    );
  }
  const after: Fact[] = [];
  if (live) after.push({ fact: 'nicPresent', domain: dom.name, mac, uri, config: false, present: false });
  if (config) after.push({ fact: 'nicPresent', domain: dom.name, mac, uri, config: true, present: false });
  const before: Fact[] = [];
  if (config) before.push({ fact: 'definition', kind: 'domain', name: dom.name, uri, xml: dom.inactiveXml! });
  return plan(`Remove the NIC ${mac} from ${dom.name}`, steps, {
    warnings: live ? [`a live unplug needs the guest's cooperation (ACPI or PCIe hotplug); the plan waits up to ${UNPLUG_WAIT_S} s`] : [],
    before,
    after,
  });
}
