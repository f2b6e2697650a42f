/** Linux bridges and their ports: which VM and NIC model sits behind a tap, which driver behind a NIC. */
import type * as vscode from 'vscode';
import type { Bridge, BridgePort, HostModel } from '../../core/model/types';
import type { HostSession } from '../../hosts/session';
import { tokenOf } from '../contextValues';
import { modelClass, modelHint } from '../nicModels';
import { HostChildNode, colors, factsTooltip, hostId, icon, makeItem, yesNo, type VirtNetNode } from './base';
import type { GroupSpec } from './group';

export function bridgesGroup(model: HostModel): GroupSpec {
  return {
    kind: 'bridges',
    label: 'Bridges',
    codicon: 'type-hierarchy-sub',
    description: String(model.bridges.length),
    empty: 'No Linux bridges',
    build: (group) => model.bridges.map((b) => new BridgeNode(group, group.session, model, b)),
  };
}

export class BridgeNode extends HostChildNode {
  constructor(
    parent: VirtNetNode,
    session: HostSession,
    private readonly model: HostModel,
    readonly bridge: Bridge,
  ) {
    super(parent, `${hostId(session)}/bridge/${bridge.name}`, session);
  }

  /** The libvirt network that owns this bridge (virbr0 belongs to `default`), if any. */
  private owner(): string | undefined {
    return this.model.networks.find((n) => n.bridge === this.bridge.name)?.name;
  }

  treeItem(): vscode.TreeItem {
    const b = this.bridge;
    const facts = [
      b.up ? undefined : 'down',
      // The first address, and how many more (the tooltip lists them all).
      b.addresses.length > 1 ? `${b.addresses[0]} +${b.addresses.length - 1}` : b.addresses[0],
      b.stp ? 'STP' : undefined,
      b.vlanFiltering ? 'VLAN filtering' : undefined,
      `${b.ports.length} port${b.ports.length === 1 ? '' : 's'}`,
      this.owner() ? `libvirt ${this.owner()}` : undefined,
    ].filter(Boolean);
    return makeItem(this, b.name, {
      icon: icon('type-hierarchy-sub', b.up ? colors.up : colors.down),
      description: facts.join(' · '),
      // The STP and address parts let the menu offer only what changes something.
      contextValue: tokenOf({ node: 'bridge', up: b.up, stp: b.stp, addresses: b.addresses.length > 0 }),
      collapsible: b.ports.length > 0,
    });
  }

  override argValues() {
    return { bridge: this.bridge.name };
  }

  override children(): VirtNetNode[] {
    return this.bridge.ports.map((p) => new PortNode(this, this.session, this.model, p));
  }

  override tooltip(): vscode.MarkdownString {
    const b = this.bridge;
    return factsTooltip(`Bridge ${b.name}`, [
      ['state', b.up ? 'up' : 'down'],
      ['addresses', b.addresses.join(', ') || 'none'],
      ['STP', yesNo(b.stp)],
      ['forward delay (s)', b.forwardDelay],
      ['VLAN filtering', yesNo(b.vlanFiltering)],
      ['MAC', b.mac],
      ['MTU', b.mtu],
      ['owned by libvirt network', this.owner()],
      ['ports', b.ports.map((p) => p.name).join(', ') || 'none'],
    ]);
  }
}

const portIcons: Record<string, string> = {
  tap: 'vm',
  physical: 'circuit-board',
  vf: 'circuit-board',
  veth: 'link',
  bond: 'combine',
  vlan: 'tag',
  bridge: 'type-hierarchy-sub',
};

export class PortNode extends HostChildNode {
  constructor(
    parent: BridgeNode,
    session: HostSession,
    private readonly model: HostModel,
    readonly port: BridgePort,
  ) {
    super(parent, `${parent.id}/port/${port.name}`, session);
  }

  /** The VM NIC behind a tap, found by its `<target dev>`. */
  private vmNic() {
    for (const d of this.model.domains) {
      const nic = d.interfaces.find((i) => i.target === this.port.name);
      if (nic) return { domain: d.name, nic };
    }
    return undefined;
  }

  /** The VM whose tap this is (from the bridge's view or the domain XML), if any. */
  private vmOwner(): string | undefined {
    return this.port.domain ?? this.vmNic()?.domain;
  }

  override argValues() {
    const p = this.port;
    return { bridge: (this.parent as BridgeNode).bridge.name, port: p.name, ...(p.kind === 'tap' && !this.vmOwner() ? { rawTap: p.name } : {}) };
  }

  /** The PF behind a VF port: its PCI address and, when known, its netdev name. */
  private pf(): string | undefined {
    const addr = this.port.physfn;
    if (!addr) return undefined;
    const dev = this.model.pciDevices.find((p) => p.address === addr);
    return dev?.netdevs[0] ? `${dev.netdevs[0]} (${addr})` : addr;
  }

  private behind(): string {
    const p = this.port;
    switch (p.kind) {
      case 'tap': {
        const found = this.vmNic();
        const vm = p.domain ?? found?.domain;
        if (!vm) return 'tap, no VM (raw tap)';
        return `tap · VM ${vm}${found?.nic.model ? ` · ${found.nic.model}` : ''}`;
      }
      case 'physical':
        return `NIC${p.driver ? ` · ${p.driver}` : ''}`;
      case 'vf':
        return `VF${this.pf() ? ` of ${this.pf()}` : ''}${p.driver ? ` · ${p.driver}` : ''}`;
      default:
        return p.driver ? `${p.kind} · ${p.driver}` : p.kind;
    }
  }

  treeItem(): vscode.TreeItem {
    const p = this.port;
    const forwarding = p.state === null || p.state === 'forwarding';
    const color = !p.up ? colors.down : forwarding ? colors.up : colors.warn;
    const state = !p.up ? 'down' : p.state && p.state !== 'forwarding' ? p.state : undefined;
    return makeItem(this, p.name, {
      icon: icon(portIcons[p.kind] ?? 'plug', color),
      description: [this.behind(), state].filter(Boolean).join(' · '),
      contextValue: tokenOf({ node: 'port', kind: p.kind, vm: this.vmOwner() !== undefined }),
    });
  }

  override tooltip(): vscode.MarkdownString {
    const p = this.port;
    const found = this.vmNic();
    return factsTooltip(
      `Port ${p.name}`,
      [
        ['kind', p.kind],
        ['link', p.up ? 'up' : 'down'],
        ['STP state', p.state],
        ['MAC', p.mac],
        ['VM', p.domain ?? found?.domain],
        ['NIC model', found?.nic.model],
        ['driver', p.driver],
        ['PF', this.pf()],
      ],
      modelClass(found?.nic.model) === 'emulated' ? modelHint(found?.nic.model) : undefined,
    );
  }
}
