/** libvirt networks: state, forward mode, bridge, subnet, DHCP; their leases and the VM NICs on them. */
import type * as vscode from 'vscode';
import { tokenOf } from '../contextValues';
import { forwardAmiss, nicsOnNetwork, ownBridgeOf } from '../../core/model/queries';
import type { Domain, DomainInterface, ForwardPort, HostModel, Lease, Network } from '../../core/model/types';
import type { HostSession } from '../../hosts/session';
import { networkRows, nicRows } from '../../core/model/libvirtText';
import { modelClass, modelHint } from '../nicModels';
import { HostChildNode, colors, factsTooltip, hostId, icon, makeItem, yesNo, type VirtNetNode } from './base';
import type { GroupSpec } from './group';
import { ForwardNode } from './vms';

export function networksGroup(model: HostModel): GroupSpec {
  const active = model.networks.filter((n) => n.active).length;
  return {
    kind: 'networks',
    label: 'Libvirt networks',
    codicon: 'globe',
    description: model.networks.length === active ? String(active) : `${active} of ${model.networks.length} active`,
    empty: model.info.tools.virsh === false ? 'No libvirt networks (virsh not installed)' : 'No libvirt networks',
    build: (group) => model.networks.map((n) => new NetworkNode(group, group.session, model, n)),
  };
}

function subnets(net: Network): string[] {
  return net.ips.map((ip) => `${ip.address}/${ip.prefix}`);
}

function dhcpRanges(net: Network): string[] {
  return net.ips.flatMap((ip) => ip.dhcpRanges.map((r) => `${r.start}–${r.end}`));
}

export class NetworkNode extends HostChildNode {
  constructor(
    parent: VirtNetNode,
    session: HostSession,
    private readonly model: HostModel,
    readonly network: Network,
  ) {
    super(parent, `${hostId(session)}/network/${network.name}`, session);
  }

  treeItem(): vscode.TreeItem {
    const n = this.network;
    // A running network whose own bridge is gone (deleted by hand) carries no traffic: say so.
    const own = ownBridgeOf(n);
    const bridgeMissing = n.active && own !== null && !this.model.links.some((l) => l.name === own);
    const facts = [
      n.active ? undefined : 'inactive',
      bridgeMissing ? `bridge ${n.bridge} missing` : undefined,
      n.forwardMode,
      n.bridge ?? n.forwardDev ?? undefined,
      subnets(n)[0],
      n.autostart ? 'autostart' : undefined,
      Object.keys(n.pending).length ? 'edited: restart to apply' : undefined,
    ].filter(Boolean);
    const childCount = n.leases.length + nicsOnNetwork(this.model, n).length;
    return makeItem(this, n.name, {
      icon: icon('globe', n.active ? colors.up : colors.muted),
      description: facts.join(' · '),
      contextValue: tokenOf({
        node: 'network',
        active: n.active,
        defined: n.inactiveXml !== null,
        autostart: n.autostart,
        staticHosts: n.ips.some((ip) => ip.dhcpHosts.length > 0),
        ranges: n.ips.some((ip) => ip.dhcpRanges.length > 0),
      }),
      collapsible: childCount > 0,
    });
  }

  override argValues() {
    return { network: this.network.name };
  }

  override children(): VirtNetNode[] {
    const n = this.network;
    return [
      ...n.leases.map((l) => new LeaseNode(this, this.session, this.model, l)),
      ...nicsOnNetwork(this.model, n).map(
        ({ domain, nic }, i) =>
          new AttachedNicNode(
            this,
            this.session,
            domain,
            nic,
            i,
            this.model.forwards.filter((f) => f.vm === domain.name && f.mac === nic.mac),
            this.model.forwardsAmiss,
          ),
      ),
    ];
  }

  override tooltip(): vscode.MarkdownString {
    const n = this.network;
    return factsTooltip(`libvirt network ${n.name}`, [
      ['state', n.active ? 'active' : 'inactive'],
      ['autostart', yesNo(n.autostart)],
      ['persistent', yesNo(n.persistent)],
      ['forward mode', n.forwardMode],
      ['forward device', n.forwardDev],
      ['bridge', n.bridge],
      ['STP', yesNo(n.stp)],
      ['subnets', subnets(n).join(', ')],
      ['DHCP ranges', dhcpRanges(n).join(', ')],
      ['static DHCP hosts', n.ips.reduce((k, ip) => k + ip.dhcpHosts.length, 0) || undefined],
      ['DNS domain', n.domainName],
      ['interface pool', n.forwardInterfaces.join(', ')],
      ['VF pool', n.forwardAddresses.join(', ')],
      ['PF', n.forwardPf],
      ...networkRows(n),
      ['UUID', n.uuid],
    ]);
  }
}

export class LeaseNode extends HostChildNode {
  constructor(
    parent: NetworkNode,
    session: HostSession,
    private readonly model: HostModel,
    readonly lease: Lease,
  ) {
    super(parent, `${parent.id}/lease/${lease.mac}`, session);
  }

  /** The network this lease is on (its parent). */
  private network(): Network {
    return (this.parent as NetworkNode).network;
  }

  private isStatic(): boolean {
    return this.network().ips.some((ip) => ip.dhcpHosts.some((h) => h.mac === this.lease.mac));
  }

  override argValues() {
    // "Make Lease Static": its MAC, address and hostname become a host entry of its network.
    const l = this.lease;
    return { network: this.network().name, dhcpHost: [l.mac, l.ip, ...(l.hostname ? [l.hostname] : [])].join(',') };
  }

  /** The VM whose NIC has the lease's MAC. */
  vm(): string | undefined {
    const mac = this.lease.mac.toLowerCase();
    return this.model.domains.find((d) => d.interfaces.some((i) => i.mac?.toLowerCase() === mac))?.name;
  }

  treeItem(): vscode.TreeItem {
    const l = this.lease;
    const vm = this.vm();
    return makeItem(this, l.ip, {
      icon: icon('symbol-field', colors.info),
      description: [vm ? `VM ${vm}` : l.hostname, l.mac].filter(Boolean).join(' · '),
      contextValue: tokenOf({ node: 'lease', static: this.isStatic() }),
    });
  }

  override tooltip(): vscode.MarkdownString {
    const l = this.lease;
    return factsTooltip(`DHCP lease ${l.ip}`, [
      ['address', l.prefix === null ? l.ip : `${l.ip}/${l.prefix}`],
      ['MAC', l.mac],
      ['hostname', l.hostname],
      ['VM', this.vm()],
      ['expires', l.expiry],
    ]);
  }
}

export class AttachedNicNode extends HostChildNode {
  constructor(
    parent: NetworkNode,
    session: HostSession,
    readonly domain: Domain,
    readonly nic: DomainInterface,
    index: number,
    private readonly forwards: readonly ForwardPort[],
    private readonly amiss: readonly string[] = [],
  ) {
    super(parent, `${parent.id}/nic/${domain.name}/${nic.mac ?? index}`, session);
  }

  override children(): VirtNetNode[] {
    return this.forwards.map((f) => new ForwardNode(this, this.session, this.domain.name, f, forwardAmiss(this.amiss, f)));
  }

  treeItem(): vscode.TreeItem {
    const n = this.nic;
    const running = this.domain.state === 'running';
    return makeItem(this, this.domain.name, {
      icon: icon('vm', running ? colors.up : colors.muted),
      description: [n.model, n.mac, n.linkState === 'down' ? 'link down' : undefined, n.target, n.ips[0]].filter(Boolean).join(' · '),
      contextValue: tokenOf({ node: 'network-nic', model: modelClass(n.model), link: n.linkState === 'down' ? 'down' : 'up' }),
      collapsible: this.forwards.length > 0,
    });
  }

  override argValues() {
    return this.nic.mac ? { domain: this.domain.name, nic: this.nic.mac } : {};
  }

  override tooltip(): vscode.MarkdownString {
    const n = this.nic;
    return factsTooltip(
      `NIC of ${this.domain.name}`,
      [
        ['VM state', this.domain.state],
        ['type', n.type],
        ['source', n.source],
        ['model', n.model],
        ['MAC', n.mac],
        ['tap', n.target],
        ['IP', n.ips.join(', ')],
        ...nicRows(n),
      ],
      modelHint(n.model),
    );
  }
}
