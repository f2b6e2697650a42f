/** Physical NICs and PCI devices: vendor/device, driver, IOMMU group, SR-IOV; VFs under their PF. */
import type * as vscode from 'vscode';
import { tokenOf } from '../contextValues';
import type { HostModel, PciDevice } from '../../core/model/types';
import type { HostSession } from '../../hosts/session';
import { HostChildNode, colors, factsTooltip, hostId, icon, makeItem, type VirtNetNode } from './base';
import type { GroupSpec } from './group';

export function pciGroup(model: HostModel): GroupSpec {
  const known = new Set(model.pciDevices.map((p) => p.address));
  // VFs show under their PF; a VF whose PF is not listed still shows at the top.
  const top = model.pciDevices.filter((p) => !p.physfn || !known.has(p.physfn));
  return {
    kind: 'pci',
    label: 'Physical NICs and PCI devices',
    codicon: 'circuit-board',
    description: String(top.length),
    empty: 'No network PCI devices found',
    build: (group) => top.map((p) => new PciNode(group, group.session, model, p)),
  };
}

function isNic(p: PciDevice): boolean {
  return p.class.startsWith('0x02');
}

function vendorDevice(p: PciDevice): string {
  const vendor = p.vendorName ?? p.vendorId;
  const device = p.deviceName ?? p.deviceId;
  return `${vendor} ${device}`;
}

export class PciNode extends HostChildNode {
  constructor(
    parent: VirtNetNode,
    session: HostSession,
    private readonly model: HostModel,
    readonly device: PciDevice,
  ) {
    super(parent, `${hostId(session)}/pci/${device.address}`, session);
  }

  /** The netdev an uplink command would take, when it is free to be bridged. */
  private freeNetdev(): string | undefined {
    const name = this.device.netdevs[0];
    const link = name ? this.model.links.find((l) => l.name === name) : undefined;
    return link && !link.master && link.kind !== 'bridge' ? name : undefined;
  }

  private token(): string {
    const d = this.device;
    if (d.physfn) return tokenOf({ node: 'vf', assigned: d.assignedTo !== null });
    const netdev = d.netdevs.length === 0 ? 'none' : this.freeNetdev() ? 'free' : 'bridged';
    return tokenOf({ node: 'pci', role: d.sriov ? 'pf' : isNic(d) ? 'nic' : 'device', netdev });
  }

  override argValues() {
    const nic = this.freeNetdev();
    return nic && !this.device.physfn ? { uplinkNic: nic } : {};
  }

  treeItem(): vscode.TreeItem {
    const p = this.device;
    const label = p.netdevs.length > 0 ? `${p.netdevs.join(', ')} (${p.address})` : p.address;
    const facts = [
      p.deviceName ?? `${p.vendorId}:${p.deviceId}`,
      p.driver ?? 'no driver',
      p.iommuGroup === null ? undefined : `IOMMU group ${p.iommuGroup}`,
      p.sriov ? `SR-IOV ${p.sriov.numVfs}/${p.sriov.totalVfs} VFs` : undefined,
      p.assignedTo ? `assigned to ${p.assignedTo}` : undefined,
    ].filter(Boolean);
    return makeItem(this, label, {
      icon: icon(isNic(p) ? 'circuit-board' : 'chip', p.assignedTo ? colors.info : p.driver ? colors.up : colors.muted),
      description: facts.join(' · '),
      contextValue: this.token(),
      collapsible: p.vfs.length > 0,
    });
  }

  override children(): VirtNetNode[] {
    return this.device.vfs.map((addr, index) => {
      const vf = this.model.pciDevices.find((p) => p.address === addr);
      return new VfNode(this, this.session, addr, index, vf);
    });
  }

  override tooltip(): vscode.MarkdownString {
    const p = this.device;
    return factsTooltip(
      `PCI ${p.address}`,
      [
        ['device', vendorDevice(p)],
        ['IDs', `${p.vendorId}:${p.deviceId}`],
        ['class', p.class],
        ['driver', p.driver ?? 'none'],
        ['network interfaces', p.netdevs.join(', ')],
        ['IOMMU group', p.iommuGroup ?? 'none (IOMMU off or not supported)'],
        ['NUMA node', p.numaNode],
        ['SR-IOV VFs enabled', p.sriov ? `${p.sriov.numVfs} of ${p.sriov.totalVfs}` : undefined],
        ['PF', p.physfn],
        ['assigned to VM', p.assignedTo],
      ],
      p.sriov ? 'The VF count is `sriov_numvfs` in sysfs; VFs can be passed to VMs or used as bridge ports.' : undefined,
    );
  }
}

export class VfNode extends HostChildNode {
  constructor(
    parent: PciNode,
    session: HostSession,
    readonly address: string,
    readonly index: number,
    readonly vf: PciDevice | undefined,
  ) {
    super(parent, `${parent.id}/vf/${address}`, session);
  }

  treeItem(): vscode.TreeItem {
    const vf = this.vf;
    const holder = vf?.assignedTo;
    const label = vf && vf.netdevs.length > 0 ? `VF ${this.index}: ${vf.netdevs.join(', ')} (${this.address})` : `VF ${this.index}: ${this.address}`;
    return makeItem(this, label, {
      icon: icon('circuit-board', holder ? colors.info : vf?.driver ? colors.up : colors.muted),
      description: [vf?.driver ?? 'no driver', holder ? `VM ${holder}` : 'free'].join(' · '),
      contextValue: tokenOf({ node: 'vf', assigned: Boolean(holder) }),
    });
  }

  override tooltip(): vscode.MarkdownString {
    const vf = this.vf;
    return factsTooltip(`VF ${this.index} (${this.address})`, [
      ['driver', vf?.driver ?? 'none'],
      ['network interfaces', vf?.netdevs.join(', ')],
      ['IOMMU group', vf?.iommuGroup],
      ['held by VM', vf?.assignedTo ?? 'none'],
    ]);
  }
}
