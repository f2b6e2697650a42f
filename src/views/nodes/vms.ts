/** Virtual machines: state, each NIC (type, source, model, MAC, tap, IP), assigned PCI devices. */
import type * as vscode from 'vscode';
import { tokenOf } from '../contextValues';
import { forwardableNics, forwardAmiss, nicHolding } from '../../core/model/queries';
import type { Domain, DomainHostdev, DomainInterface, ForwardPort, HandForward, HostModel } from '../../core/model/types';
import type { HostSession } from '../../hosts/session';
import { hostdevRows, nicRows } from '../../core/model/libvirtText';
import { modelClass, modelHint } from '../nicModels';
import { HostChildNode, colors, factsTooltip, hostId, icon, makeItem, yesNo, type VirtNetNode } from './base';
import type { GroupSpec } from './group';

export function vmsGroup(model: HostModel): GroupSpec {
  const running = model.domains.filter((d) => d.state === 'running').length;
  return {
    kind: 'vms',
    label: 'Virtual machines',
    codicon: 'vm',
    description: model.domains.length === 0 ? '0' : `${running} of ${model.domains.length} running`,
    empty: model.info.tools.virsh === false ? 'No VMs (virsh not installed)' : 'No libvirt VMs',
    build: (group) => model.domains.map((d) => new VmNode(group, group.session, model, d)),
  };
}

/** `running`, `shut-off`, `paused`...: virsh's words made token-safe. */
/** A user-mode NIC on passt takes libvirt's own port forwards. */
const onPasst = (n: DomainInterface) => n.type === 'user' && n.backend === 'passt';

export function stateToken(state: string): string {
  return state.trim().toLowerCase().replace(/\s+/g, '-');
}

function stateColor(state: string): string {
  switch (stateToken(state)) {
    case 'running':
      return colors.up;
    case 'paused':
    case 'pmsuspended':
      return colors.warn;
    case 'crashed':
      return colors.down;
    default:
      return colors.muted;
  }
}

export class VmNode extends HostChildNode {
  constructor(
    parent: VirtNetNode,
    session: HostSession,
    private readonly model: HostModel,
    readonly domain: Domain,
  ) {
    super(parent, `${hostId(session)}/vm/${domain.name}`, session);
  }

  treeItem(): vscode.TreeItem {
    const d = this.domain;
    const nics = d.interfaces.length;
    const facts = [
      d.state,
      `${nics} NIC${nics === 1 ? '' : 's'}`,
      d.hostdevs.length > 0 ? `${d.hostdevs.length} PCI` : undefined,
      d.virtType === 'qemu' ? 'TCG' : undefined,
    ].filter(Boolean);
    return makeItem(this, d.name, {
      icon: icon('vm', stateColor(d.state)),
      description: facts.join(' · '),
      contextValue: tokenOf({ node: 'vm', state: stateToken(d.state), forwardable: forwardableNics(this.model, d).length > 0 || d.interfaces.some(onPasst) }),
      collapsible: nics + d.hostdevs.length > 0,
    });
  }

  override argValues() {
    return { domain: this.domain.name };
  }

  override children(): VirtNetNode[] {
    const forwardable = new Set([
      ...forwardableNics(this.model, this.domain).map((f) => f.nic.mac),
      ...this.domain.interfaces.filter(onPasst).map((n) => n.mac),
    ]);
    return [
      ...this.domain.interfaces.map(
        (nic, i) =>
          new VmNicNode(
            this,
            this.session,
            this.domain,
            nic,
            i,
            forwardable.has(nic.mac),
            this.model.forwards.filter((f) => f.vm === this.domain.name && f.mac === nic.mac),
            this.model.handForwards.filter((h) => nic.mac !== null && nicHolding(this.model, h.guestIp)?.mac === nic.mac),
            this.model.forwardsAmiss,
          ),
      ),
      ...this.domain.hostdevs.map((h, i) => new HostdevNode(this, this.session, this.model, h, i)),
    ];
  }

  override tooltip(): vscode.MarkdownString {
    const d = this.domain;
    return factsTooltip(`VM ${d.name}`, [
      ['state', d.state],
      ['virtualisation', d.virtType === 'kvm' ? 'KVM' : d.virtType === 'qemu' ? 'QEMU TCG (no KVM acceleration)' : d.virtType],
      ['persistent', yesNo(d.persistent)],
      ['autostart', yesNo(d.autostart)],
      ['NICs', d.interfaces.length],
      ['assigned PCI devices', d.hostdevs.map((h) => h.address ?? h.type).join(', ')],
      ['UUID', d.uuid],
    ]);
  }
}

export class VmNicNode extends HostChildNode {
  constructor(
    parent: VmNode,
    session: HostSession,
    readonly domain: Domain,
    readonly nic: DomainInterface,
    index: number,
    /** On a NAT or routed network: a port forward can go to it. */
    private readonly forwardable: boolean,
    private readonly forwards: readonly ForwardPort[],
    private readonly hand: readonly HandForward[] = [],
    /** What the firewall lacks of the host's forwards now (the inventory's check). */
    private readonly amiss: readonly string[] = [],
  ) {
    super(parent, `${parent.id}/nic/${nic.mac ?? index}`, session);
  }

  override children(): VirtNetNode[] {
    return [
      ...this.forwards.map((f) => new ForwardNode(this, this.session, this.domain.name, f, forwardAmiss(this.amiss, f))),
      ...this.hand.map((h) => new HandForwardNode(this, this.session, this.domain.name, h)),
    ];
  }

  /** The model as the tree says it: emulated ones carry the virtio hint. */
  private modelText(): string | undefined {
    const m = this.nic.model;
    switch (modelClass(m)) {
      case 'virtio':
        return `${m} (fast)`;
      case 'emulated':
        return `${m} (emulated; virtio is faster)`;
      default:
        return undefined;
    }
  }

  treeItem(): vscode.TreeItem {
    const n = this.nic;
    const cls = modelClass(n.model);
    const label = n.source ? `${n.type} ${n.source}` : n.type;
    return makeItem(this, label, {
      icon: icon('plug', cls === 'emulated' ? colors.warn : n.target ? colors.up : colors.muted),
      description: [
        n.type === 'user' ? (n.backend === 'passt' ? 'passt' : 'SLIRP') : undefined,
        n.portForwards.length ? `${n.portForwards.length} port forward${n.portForwards.length === 1 ? '' : 's'}` : undefined,
        this.modelText(),
        n.pending.model ? `${n.pending.model} at next boot` : undefined,
        n.mac,
        n.linkState === 'down' ? 'link down' : undefined,
        n.target,
        n.ips.join(', '),
      ]
        .filter(Boolean)
        .join(' · '),
      contextValue: tokenOf({ node: 'vm-nic', model: cls, link: n.linkState === 'down' ? 'down' : 'up', forwardable: this.forwardable }),
      collapsible: this.forwards.length + this.hand.length > 0,
    });
  }

  override argValues() {
    return this.nic.mac ? { domain: this.domain.name, nic: this.nic.mac } : {};
  }

  override tooltip(): vscode.MarkdownString {
    const n = this.nic;
    return factsTooltip(
      `NIC ${n.mac ?? ''} of ${this.domain.name}`,
      [
        ['type', n.type],
        ['source', n.source],
        ['mode', n.sourceMode],
        ['model', n.model ?? 'libvirt default'],
        ['MAC', n.mac],
        ['tap', n.target ?? (this.domain.state === 'running' ? undefined : 'none while the VM is off')],
        [n.ipSource === 'arp' ? "IP (from the host's neighbour table)" : 'IP (from DHCP leases)', n.ips.join(', ')],
        ...nicRows(n),
      ],
      modelHint(n.model),
    );
  }
}

/** A host port forwarded to this NIC (VirtNet's state file on the host). */
export class ForwardNode extends HostChildNode {
  constructor(
    /** The NIC it goes to, under its VM or under its network. */
    parent: HostChildNode,
    session: HostSession,
    private readonly vm: string,
    readonly forward: ForwardPort,
    /** What the firewall lacks of it now: shown, with Re-apply Port Forwards at hand. */
    private readonly amiss: readonly string[] = [],
  ) {
    super(parent, `${parent.id}/forward/${forward.proto}-${forward.hostPort}`, session);
  }

  treeItem(): vscode.TreeItem {
    const f = this.forward;
    const amiss = this.amiss.length > 0;
    return makeItem(this, `${f.proto} ${f.hostAddress ?? '*'}:${f.hostPort} → ${f.guestPort}`, {
      icon: amiss ? icon('warning', colors.warn) : icon('arrow-swap', colors.up),
      description: [
        amiss ? 'not in force: Re-apply Port Forwards' : undefined,
        `to ${f.guestIp}:${f.guestPort}`,
        f.fromHost ? 'from the host too' : undefined,
        f.hairpin ? 'hairpin' : undefined,
      ]
        .filter(Boolean)
        .join(' · '),
      contextValue: tokenOf({ node: 'forward' }),
    });
  }

  override argValues() {
    return { domain: this.vm, forwardedPort: `${this.forward.hostPort}/${this.forward.proto}` };
  }

  override tooltip(): vscode.MarkdownString {
    const f = this.forward;
    return factsTooltip(`Port forward to ${this.vm}`, [
      ['host port', `${f.proto} ${f.hostPort}${f.hostAddress ? ` on ${f.hostAddress}` : ' on every address of the host'}`],
      ['guest', `${f.guestIp}:${f.guestPort} (NIC ${f.mac}, a static DHCP host)`],
      ['way in', f.bridge],
      ['from the host itself', yesNo(f.fromHost)],
      ['from guests of its network (hairpin)', f.hairpin ? `yes (${f.hairpin} masqueraded towards it)` : 'no'],
      ['kept', "in VirtNet's state file, re-applied by its libvirt hooks after guest, network and libvirtd restarts"],
      [
        'in force',
        this.amiss.length
          ? `no: ${this.amiss.join('; ')} (a firewalld reload or a network daemon restarted alone rebuilds the firewall without the hooks)`
          : 'yes',
      ],
    ]);
  }
}

/** A DNAT rule someone wrote by hand to this NIC's address: VirtNet's forward can adopt it. */
export class HandForwardNode extends HostChildNode {
  constructor(
    parent: HostChildNode,
    session: HostSession,
    private readonly vm: string,
    readonly hand: HandForward,
  ) {
    super(parent, `${parent.id}/hand/${hand.proto}-${hand.hostPort}`, session);
  }

  treeItem(): vscode.TreeItem {
    const h = this.hand;
    return makeItem(this, `${h.proto} ${h.hostAddress ?? '*'}:${h.hostPort} → ${h.guestPort}`, {
      icon: icon('warning', colors.warn),
      description: 'written by hand: lost at restarts, shadowed by libvirt',
      contextValue: tokenOf({ node: 'hand-forward' }),
    });
  }

  override argValues() {
    return { domain: this.vm, handForward: `${this.hand.hostPort}/${this.hand.proto}` };
  }

  override tooltip(): vscode.MarkdownString {
    const h = this.hand;
    return factsTooltip(`A DNAT rule written by hand, to ${this.vm}`, [
      ['rule', `iptables -t nat -A PREROUTING ${h.rule}`],
      [
        'why it breaks',
        "libvirt's own chains reject new connections to a NAT subnet ahead of rules added later, and rebuild at every libvirt start; a network restart runs no hook; the guest's lease may move",
      ],
      ['Adopt Port Forward', 'makes it a VirtNet forward (pinned address, rules ahead of libvirt, kept through restarts) and deletes this rule'],
    ]);
  }
}

export class HostdevNode extends HostChildNode {
  constructor(
    parent: VmNode,
    session: HostSession,
    private readonly model: HostModel,
    readonly hostdev: DomainHostdev,
    index: number,
  ) {
    super(parent, `${parent.id}/hostdev/${hostdev.address ?? index}`, session);
  }

  private device() {
    return this.hostdev.address ? this.model.pciDevices.find((p) => p.address === this.hostdev.address) : undefined;
  }

  treeItem(): vscode.TreeItem {
    const h = this.hostdev;
    const dev = this.device();
    return makeItem(this, h.address ?? h.type, {
      icon: icon('circuit-board', colors.info),
      description: [dev?.deviceName ?? undefined, dev?.driver ?? undefined, h.managed ? 'managed' : undefined].filter(Boolean).join(' · '),
      contextValue: tokenOf({ node: 'hostdev', type: h.type }),
    });
  }

  override tooltip(): vscode.MarkdownString {
    const h = this.hostdev;
    const dev = this.device();
    return factsTooltip(`Assigned ${h.type} device`, [
      ['address', h.address],
      ['device', dev ? `${dev.vendorName ?? dev.vendorId} ${dev.deviceName ?? dev.deviceId}` : undefined],
      ['driver on the host', dev?.driver],
      ['IOMMU group', dev?.iommuGroup],
      ['managed by libvirt', yesNo(h.managed)],
      ...hostdevRows(h),
    ]);
  }
}
