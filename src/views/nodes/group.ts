/** The fixed groups under a host: Bridges, Libvirt networks, Virtual machines, PCI, Readiness. */
import type * as vscode from 'vscode';
import { HostChildNode, icon, makeItem, type VirtNetNode } from './base';
import { NoteNode } from './status';
import { tokenOf, type GroupKind } from '../contextValues';
import type { HostSession } from '../../hosts/session';

export type { GroupKind };

export interface GroupSpec {
  kind: GroupKind;
  label: string;
  codicon: string;
  /** Short summary beside the label, e.g. "2" or "3 of 12 failed". */
  description: string;
  /** Shown as a single note when there are no children. */
  empty: string;
  build: (group: GroupNode) => VirtNetNode[];
  /** Colour of the group icon (the readiness group turns red when a check failed). */
  color?: string;
}

export class GroupNode extends HostChildNode {
  constructor(
    parent: VirtNetNode,
    session: HostSession,
    readonly spec: GroupSpec,
  ) {
    super(parent, `${parent.id}/${spec.kind}`, session);
  }

  get kind(): GroupKind {
    return this.spec.kind;
  }

  treeItem(): vscode.TreeItem {
    return makeItem(this, this.spec.label, {
      icon: icon(this.spec.codicon, this.spec.color),
      description: this.spec.description,
      contextValue: tokenOf({ node: 'group', kind: this.spec.kind }),
      collapsible: true,
    });
  }

  override children(): VirtNetNode[] {
    const nodes = this.spec.build(this);
    return nodes.length > 0 ? nodes : [new NoteNode(this, this.session, 'empty', this.spec.empty)];
  }
}
