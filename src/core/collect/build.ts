/**
 * Builds the host model from the collector's output. A section that is missing or fails degrades
 * only its part of the model and becomes a check; nothing here throws for a broken host.
 */
import type { Bridge, BridgePort, Check, Connection, Domain, HostInfo, HostModel, Network, PciDevice } from '../model/types';
import { iommuCheck, kvmCheck, libvirtCheck, nicModelCheck, rootCheck, sriovCheck, toolChecks, tunCheck, vfioCheck } from './checks';
import { parseBridgeLink, parseLinks, parseNetWalk, parseRoutes, type ParsedLink } from './parse-ip';
import { parseHostFacts, parseQemuNicModels, type HostFacts } from './parse-host';
import { parseLspci, parsePciWalk } from './parse-sysfs';
import { parseDomainXml, parseLeases, parseNetworkXml } from './parse-virsh';
import { parseParts, parseSections, type Section } from './sections';
import { parseState } from '../ops/forward/state';
import { parseHandForwards, parseListening, parseHooks, parsePortRange } from './parse-forwards';
import { parseNeighbours } from './parse-neigh';
import { parseJournal } from '../ops/journal';

/** The system instance of libvirt's QEMU driver: the one the guide's host uses. */
export const DEFAULT_LIBVIRT_URI = 'qemu:///system';

export interface BuildInput {
  host: string;
  /** The libvirt URI the collector read (default qemu:///system). */
  libvirtUri?: string;
  output: string;
  nonce: string;
  /** From the executor when it knows; otherwise the collector's own `id -u` decides. */
  asRoot: boolean | null;
  collectedAt?: Date;
}

/** Runs a parser; on failure records a check and returns the fallback. */
function guarded<T>(checks: Check[], id: string, what: string, fallback: T, parse: () => T): T {
  try {
    return parse();
  } catch (err) {
    checks.push({ id, ok: false, detail: `${what} could not be parsed: ${err instanceof Error ? err.message : String(err)}` });
    return fallback;
  }
}

function sectionFailed(checks: Check[], id: string, what: string, s: Section | undefined, stderr: Section | undefined): boolean {
  if (s && s.rc === 0) {
    return false;
  }
  const why = stderr?.text.trim().split('\n')[0] ?? (s ? `exit ${s.rc}` : 'not collected');
  checks.push({ id, ok: false, detail: `${what} unavailable: ${why}` });
  return true;
}

export function buildHostModel(input: BuildInput): HostModel {
  const sections = parseSections(input.output, input.nonce);
  const text = (name: string) => sections.get(name)?.text ?? '';
  const checks: Check[] = [];
  const facts = parseHostFacts(text('host'));

  const netWalk = parseNetWalk(text('net.walk'));
  const netByName = new Map(netWalk.map((n) => [n.name, n]));
  let links: ParsedLink[] = [];
  if (!sectionFailed(checks, 'inventory:links', 'links (ip -j -d link)', sections.get('ip.link'), sections.get('ip.link.stderr'))) {
    links = guarded(checks, 'inventory:links', 'ip -j -d link output', [], () => parseLinks(text('ip.link'), text('ip.addr'), netWalk));
  }
  const routes = [
    ...guarded(checks, 'inventory:routes', 'ip -j route output', [], () => parseRoutes(text('ip.route'), 'ipv4')),
    ...guarded(checks, 'inventory:routes', 'ip -j -6 route output', [], () => parseRoutes(text('ip.route6'), 'ipv6')),
  ];
  const portStates = guarded(checks, 'inventory:bridge-ports', 'bridge -j link output', new Map(), () => parseBridgeLink(text('bridge.link')));

  const { networks, domains, libvirt } = buildLibvirt(sections, input.nonce, checks);
  const tapOwner = new Map<string, string>();
  for (const d of domains) {
    for (const i of d.interfaces) {
      if (i.target) {
        tapOwner.set(i.target, d.name);
      }
    }
  }

  const bridges: Bridge[] = links
    .filter((l) => l.kind === 'bridge')
    .map((b) => {
      const ports: BridgePort[] = links
        .filter((p) => p.master === b.name)
        .map((p) => ({
          name: p.name,
          kind: p.portKind,
          domain: tapOwner.get(p.name) ?? null,
          state: portStates.get(p.name)?.state ?? (typeof p.slaveData.state === 'string' ? p.slaveData.state : null),
          up: p.up,
          mac: p.mac,
          driver: netByName.get(p.name)?.driver ?? null,
          physfn: netByName.get(p.name)?.physfn ?? null,
        }));
      const delay = b.infoData.forward_delay;
      return {
        name: b.name,
        // stp_state: 0 off, 1 kernel STP, 2 user-space STP daemon.
        stp: Number(b.infoData.stp_state ?? 0) !== 0,
        vlanFiltering: Number(b.infoData.vlan_filtering ?? 0) === 1,
        up: b.up,
        mac: b.mac,
        mtu: b.mtu,
        addresses: b.addresses,
        forwardDelay: typeof delay === 'number' ? delay / 100 : null,
        ports,
      };
    });

  // Guest addresses from leases, matched by MAC.
  const leaseByMac = new Map<string, string[]>();
  for (const n of networks) {
    for (const l of n.leases) {
      leaseByMac.set(l.mac, [...(leaseByMac.get(l.mac) ?? []), l.ip]);
    }
  }
  // Else from the host's neighbour table (a guest on a host bridge, or with a static address).
  const neighByMac = new Map<string, string[]>();
  for (const n of parseNeighbours(text('ip.neigh'))) neighByMac.set(n.mac, [...(neighByMac.get(n.mac) ?? []), n.ip]);
  for (const d of domains) {
    for (const i of d.interfaces) {
      const lease = i.mac ? leaseByMac.get(i.mac) : undefined;
      const arp = i.mac ? neighByMac.get(i.mac) : undefined;
      i.ips = lease ?? arp ?? [];
      i.ipSource = lease ? 'lease' : arp ? 'arp' : null;
    }
  }

  const pciDevices = buildPci(sections, domains, checks);
  const nicModels = parseQemuNicModels(text('qemu.nics'));

  const info: HostInfo = {
    hostname: facts.get('hostname') ?? input.host,
    machineId: facts.get('machine.id') || null,
    kernel: facts.get('kernel') ?? null,
    cmdline: facts.get('cmdline') ?? null,
    root: input.asRoot === true || facts.get('uid') === '0',
    tools: toolsOf(facts),
    nicModels,
    vhostNet: facts.get('dev.vhost_net') === '1',
    networkManager: networkManagerOf(facts),
  };

  checks.unshift(
    kvmCheck(facts),
    tunCheck(facts),
    iommuCheck(facts),
    vfioCheck(facts),
    libvirt,
    nicModelCheck(nicModels, sections.get('qemu.nics')),
    sriovCheck(pciDevices),
    rootCheck(facts, input.asRoot === true),
    ...toolChecks(facts),
  );

  const collectMs = Number(text('collect.ms'));
  return {
    host: input.host,
    libvirtUri: input.libvirtUri ?? DEFAULT_LIBVIRT_URI,
    collectedAt: (input.collectedAt ?? new Date()).toISOString(),
    collectMs: Number.isFinite(collectMs) && text('collect.ms') !== '' ? collectMs : null,
    info,
    connection: connectionOf(facts, text('ip.routeget')),
    links: links.map(({ infoData: _i, slaveData: _s, ...link }) => link),
    routes,
    bridges,
    networks,
    domains,
    pciDevices,
    checks,
    plans: parseJournal(text('journal')),
    forwards: parseState(text('forwards.state')),
    forwardsAmiss: text('forwards.check')
      .split('\n')
      .map((l) => l.trim())
      .filter(Boolean),
    handForwards: parseHandForwards(text('fw.prerouting')),
    listening: parseListening(text('ss.listen')),
    ephemeralPorts: parsePortRange(text('ports.ephemeral')),
    libvirtHooks: parseHooks(text('libvirt.hooks')),
  };
}

/** SSH_CONNECTION (`client port server port`) plus the kernel's route back to the client. */
export function connectionOf(facts: HostFacts, routeGet: string): Connection | null {
  const [client, , server, port] = (facts.get('ssh.connection') ?? '').trim().split(/\s+/);
  if (!client || !server) {
    return null;
  }
  let route: { dev?: string; gateway?: string } = {};
  try {
    route = (JSON.parse(routeGet || '[]') as { dev?: string; gateway?: string }[])[0] ?? {};
  } catch {
    // An unreadable route leaves dev unknown; planners then treat every addressed link as risky.
  }
  return { clientAddress: client, serverAddress: server, serverPort: Number(port) || 22, dev: route.dev ?? null, gateway: route.gateway ?? null };
}

function toolsOf(facts: HostFacts): Record<string, boolean> {
  const tools: Record<string, boolean> = {};
  for (const [k, v] of facts) {
    if (k.startsWith('tool.')) {
      tools[k.slice(5)] = v === '1';
    }
  }
  return tools;
}

function networkManagerOf(facts: HostFacts): HostInfo['networkManager'] {
  // netplan renders to NetworkManager or networkd, so its files win: they are what to edit.
  if (facts.get('netplan.files') === '1') {
    return 'netplan';
  }
  if (facts.get('nm.running') === '1') {
    return 'networkmanager';
  }
  if (facts.get('networkd.running') === '1') {
    return 'networkd';
  }
  if (facts.get('ifupdown.files') === '1' && facts.get('tool.ifup') === '1') {
    return 'ifupdown';
  }
  return 'none';
}

/**
 * An object's definition: for a persistent one that runs, its `--inactive` dump; for one that
 * does not run, its XML is its definition; a transient one has none. Null as well when the
 * inactive dump is missing (the object vanished between the two reads), so no edit starts from a
 * running object's XML.
 */
function definitionOf(xml: string, inactive: string, persistent: boolean, active: boolean, root: string): string | null {
  if (!persistent) return null;
  if (!active) return xml;
  return inactive.startsWith(root) ? inactive : null;
}

function buildLibvirt(sections: Map<string, Section>, nonce: string, checks: Check[]): { networks: Network[]; domains: Domain[]; libvirt: Check } {
  const lists = sections.get('virsh.lists');
  const listErr = sections.get('virsh.lists.stderr')?.text ?? '';
  const listParts = parseParts(lists?.text ?? '', nonce);
  const part = (name: string) => listParts.find((p) => p.name === name)?.text ?? '';
  const uuids = (name: string) =>
    new Set(
      part(name)
        .split('\n')
        .map((l) => l.trim())
        .filter((l) => /^[0-9a-f-]{36}$/.test(l)),
    );
  const version =
    part('version')
      .split('\n')
      .find((l) => /hypervisor|library/i.test(l))
      ?.trim() ?? null;
  const libvirt = libvirtCheck(lists, listErr, version);
  if (!lists || lists.rc !== 0) {
    return { networks: [], domains: [], libvirt };
  }

  const objects = parseParts(sections.get('virsh.objects')?.text ?? '', nonce);
  const objErr = sections.get('virsh.objects.stderr')?.text.trim();
  if (objErr) {
    // Objects can vanish between the two virsh runs (a transient domain stopping); say so.
    checks.push({ id: 'inventory:libvirt-objects', ok: false, detail: `some libvirt objects could not be read: ${objErr.split('\n')[0]}` });
  }
  const byKey = (name: string, key: string) => objects.find((o) => o.name === name && o.key === key)?.text ?? '';

  const activeNets = uuids('nets-active');
  const autostartNets = uuids('nets-autostart');
  const persistentNets = uuids('nets-persistent');
  const networks: Network[] = [];
  for (const uuid of uuids('nets-all')) {
    const xmlText = byKey('net-xml', uuid);
    if (!xmlText.startsWith('<network')) {
      continue;
    }
    const leases = guarded(checks, 'inventory:leases', `DHCP leases of network ${uuid}`, [], () => parseLeases(byKey('net-leases', uuid)));
    const net = guarded<Network | null>(checks, 'inventory:networks', `XML of network ${uuid}`, null, () =>
      parseNetworkXml(
        xmlText,
        { uuid, active: activeNets.has(uuid), autostart: autostartNets.has(uuid), persistent: persistentNets.has(uuid) },
        leases,
        definitionOf(xmlText, byKey('net-xml-inactive', uuid), persistentNets.has(uuid), activeNets.has(uuid), '<network'),
      ),
    );
    if (net) {
      networks.push(net);
    }
  }

  const persistentDoms = uuids('doms-persistent');
  const activeDoms = uuids('doms-active');
  const autostartDoms = uuids('doms-autostart');
  const domains: Domain[] = [];
  for (const uuid of uuids('doms-all')) {
    const xmlText = byKey('dom-xml', uuid);
    if (!xmlText.startsWith('<domain')) {
      continue;
    }
    const state = byKey('dom-state', uuid).split('\n')[0]?.trim() || 'unknown';
    const dom = guarded<Domain | null>(checks, 'inventory:domains', `XML of domain ${uuid}`, null, () =>
      parseDomainXml(
        xmlText,
        { uuid, state, persistent: persistentDoms.has(uuid), autostart: autostartDoms.has(uuid) },
        definitionOf(xmlText, byKey('dom-xml-inactive', uuid), persistentDoms.has(uuid), activeDoms.has(uuid), '<domain'),
      ),
    );
    if (dom) {
      domains.push(dom);
    }
  }
  networks.sort((a, b) => a.name.localeCompare(b.name));
  domains.sort((a, b) => a.name.localeCompare(b.name));
  return { networks, domains, libvirt };
}

function buildPci(sections: Map<string, Section>, domains: Domain[], checks: Check[]): PciDevice[] {
  const walk = guarded(checks, 'inventory:pci', 'sysfs PCI walk', [], () => parsePciWalk(sections.get('pci.walk')?.text ?? ''));
  const names = parseLspci(sections.get('lspci')?.text ?? '');
  const holder = new Map<string, string>();
  for (const d of domains) {
    for (const h of d.hostdevs) {
      if (h.address) {
        holder.set(h.address, d.name);
      }
    }
    for (const i of d.interfaces) {
      if (i.type === 'hostdev' && i.source) {
        holder.set(i.source, d.name);
      }
    }
  }
  return walk.map((p) => ({
    address: p.address,
    class: p.class,
    vendorId: p.vendorId,
    deviceId: p.deviceId,
    vendorName: names.get(p.address)?.vendor ?? null,
    deviceName: names.get(p.address)?.device ?? null,
    driver: p.driver,
    iommuGroup: p.iommuGroup,
    numaNode: p.numaNode,
    netdevs: p.netdevs,
    sriov: p.totalVfs !== null && p.totalVfs > 0 ? { totalVfs: p.totalVfs, numVfs: p.numVfs ?? 0 } : null,
    physfn: p.physfn,
    vfs: p.vfs,
    assignedTo: holder.get(p.address) ?? null,
  }));
}
