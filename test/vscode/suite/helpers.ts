/** Shared by the suite's tests: the extension's API and a walker over the real tree nodes. */
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import type { VirtNetApi } from '../../../src/extension';
import type { VirtNetNode } from '../../../src/views/nodes/base';

export const EXTENSION_ID = 'virtnet.virtnet';

/** The lab host and its ssh config, when the run has them (tests needing them skip otherwise). */
export const LAB_HOST = process.env.VIRTNET_TEST_HOST || undefined;
export const LAB_SSH_CONFIG = process.env.VIRTNET_TEST_SSH_CONFIG || undefined;

export async function api(): Promise<VirtNetApi> {
  const ext = vscode.extensions.getExtension<VirtNetApi>(EXTENSION_ID);
  assert.ok(ext, `extension ${EXTENSION_ID} is installed`);
  return ext.activate();
}

export async function setSetting(key: string, value: unknown): Promise<void> {
  await vscode.workspace.getConfiguration('virtnet').update(key, value, vscode.ConfigurationTarget.Global);
}

/** A node with its TreeItem, as the view would draw it. */
export interface Drawn {
  node: VirtNetNode;
  item: vscode.TreeItem;
}

export class TreeWalker {
  constructor(private readonly a: VirtNetApi) {}

  async children(parent?: VirtNetNode): Promise<Drawn[]> {
    const provider = this.a.getTreeProvider();
    const nodes = (await provider.getChildren(parent)) ?? [];
    return nodes.map((node) => ({ node, item: provider.getTreeItem(node) as vscode.TreeItem }));
  }

  /** The child whose id is `<parent id>` + suffix, or whose id equals `id`. */
  async child(parent: VirtNetNode | undefined, id: string): Promise<Drawn> {
    const all = await this.children(parent);
    const found = all.find((d) => d.item.id === id);
    assert.ok(found, `expected a node ${id}; got ${all.map((d) => d.item.id).join(', ')}`);
    return found;
  }

  async host(dest: string): Promise<Drawn> {
    return this.child(undefined, `host:${dest}`);
  }
}

export function label(item: vscode.TreeItem): string {
  return typeof item.label === 'string' ? item.label : (item.label?.label ?? '');
}

export function description(item: vscode.TreeItem): string {
  return typeof item.description === 'string' ? item.description : '';
}
