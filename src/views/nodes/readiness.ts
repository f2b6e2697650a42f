/** Host readiness: each check as a tick or a cross, with what was found and how to fix it. */
import * as vscode from 'vscode';
import { tokenOf } from '../contextValues';
import type { Check, HostModel } from '../../core/model/types';
import type { HostSession } from '../../hosts/session';
import { HostChildNode, colors, escapeMd, icon, makeItem, type VirtNetNode } from './base';
import type { GroupSpec } from './group';

export function readinessGroup(model: HostModel): GroupSpec {
  const failed = model.checks.filter((c) => !c.ok).length;
  return {
    kind: 'readiness',
    label: 'Host readiness',
    codicon: failed > 0 ? 'warning' : 'pass',
    color: failed > 0 ? colors.warn : colors.ok,
    description: failed > 0 ? `${failed} of ${model.checks.length} need attention` : `all ${model.checks.length} ok`,
    empty: 'No checks reported',
    // Failed checks first: they are what the user opened the group for.
    build: (group) => [...model.checks].sort((a, b) => Number(a.ok) - Number(b.ok)).map((c) => new CheckNode(group, group.session, c)),
  };
}

const checkTitles: Record<string, string> = {
  kvm: 'KVM',
  tun: 'TUN/TAP',
  iommu: 'IOMMU',
  vfio: 'VFIO',
  libvirt: 'libvirt',
  'nic-models': 'NIC models',
  sriov: 'SR-IOV',
  root: 'Root access',
};

export function checkTitle(id: string): string {
  if (checkTitles[id]) return checkTitles[id];
  if (id.startsWith('tool:')) return `Tool: ${id.slice(5)}`;
  if (id.startsWith('tools:')) return `Tools: ${id.slice(6)}`;
  return id;
}

export class CheckNode extends HostChildNode {
  constructor(
    parent: VirtNetNode,
    session: HostSession,
    readonly check: Check,
  ) {
    super(parent, `${parent.id}/check/${check.id}`, session);
  }

  treeItem(): vscode.TreeItem {
    const c = this.check;
    return makeItem(this, checkTitle(c.id), {
      icon: c.ok ? icon('check', colors.ok) : icon('close', colors.failed),
      description: c.detail,
      contextValue: tokenOf({ node: 'check', ok: c.ok }),
    });
  }

  override tooltip(): vscode.MarkdownString {
    const c = this.check;
    const md = new vscode.MarkdownString();
    md.appendMarkdown(`**${escapeMd(checkTitle(c.id))}**: ${c.ok ? 'ok' : 'needs attention'}\n\n`);
    md.appendText(c.detail);
    return md;
  }
}
