/**
 * The one tree provider of the VirtNet view. It forwards to the nodes, keeps one HostNode per
 * session (VS Code matches refresh events by object identity), and refreshes only the host
 * that changed.
 */
import * as vscode from 'vscode';
import type { HostRegistry } from '../hosts/registry';
import type { HostSession } from '../hosts/session';
import type { VirtNetNode } from './nodes/base';
import { HostNode } from './nodes/host';

export const VIEW_ID = 'virtnet.hosts';

export class VirtNetTreeProvider implements vscode.TreeDataProvider<VirtNetNode>, vscode.Disposable {
  private readonly hostNodes = new Map<HostSession, HostNode>();
  private readonly changed = new vscode.EventEmitter<VirtNetNode | undefined>();
  readonly onDidChangeTreeData = this.changed.event;
  private readonly subscriptions: vscode.Disposable[];

  constructor(private readonly registry: HostRegistry) {
    this.subscriptions = [
      registry.onDidChangeHosts(() => {
        this.forgetDropped();
        this.changed.fire(undefined);
      }),
      registry.onDidChangeHost((session) => {
        const node = this.hostNodes.get(session);
        if (node) this.changed.fire(node);
      }),
    ];
  }

  /** The root node of a host, created once per session. */
  hostNode(session: HostSession): HostNode {
    let node = this.hostNodes.get(session);
    if (!node) {
      node = new HostNode(session, this.registry.place);
      this.hostNodes.set(session, node);
    }
    return node;
  }

  private forgetDropped(): void {
    const live = new Set(this.registry.all());
    for (const session of [...this.hostNodes.keys()]) {
      if (!live.has(session)) this.hostNodes.delete(session);
    }
  }

  getTreeItem(node: VirtNetNode): vscode.TreeItem {
    return node.treeItem();
  }

  getChildren(node?: VirtNetNode): VirtNetNode[] | Promise<VirtNetNode[]> {
    if (!node) return this.registry.all().map((s) => this.hostNode(s));
    return node.children();
  }

  getParent(node: VirtNetNode): VirtNetNode | undefined {
    return node.parent;
  }

  resolveTreeItem(item: vscode.TreeItem, node: VirtNetNode): vscode.TreeItem {
    // Tooltips are only built for the items the user hovers.
    item.tooltip ??= node.tooltip();
    return item;
  }

  dispose(): void {
    for (const s of this.subscriptions) s.dispose();
    this.changed.dispose();
  }
}
