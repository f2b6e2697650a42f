/**
 * The node contract of the VirtNet tree: every node knows its stable id, its parent (so `reveal`
 * works), how to draw itself, its children, and optionally a tooltip built only when hovered.
 */
import * as vscode from 'vscode';
import type { TargetKind } from '../../core/ops/catalog/types';
import type { HostSession } from '../../hosts/session';

export abstract class VirtNetNode {
  constructor(
    readonly parent: VirtNetNode | undefined,
    /** Stable across refreshes, e.g. `host:vnl-a/bridge/br9/port/vnet2`; VS Code keeps expansion by it. */
    readonly id: string,
  ) {}

  abstract treeItem(): vscode.TreeItem;

  children(): VirtNetNode[] | Promise<VirtNetNode[]> {
    return [];
  }

  /**
   * The argument values a command run on this node starts from, by kind (a bridge node gives
   * `bridge`, a port node `bridge` and `port`): the commands' pickers ask only for the rest.
   */
  argValues(): Partial<Record<TargetKind, string>> {
    return {};
  }

  /** The full story, resolved lazily by the provider's resolveTreeItem. */
  tooltip(): vscode.MarkdownString | undefined {
    return undefined;
  }

  /** The host this node belongs to. */
  abstract get session(): HostSession;
}

/** A node under a host: knows its host through the constructor rather than the parent chain. */
export abstract class HostChildNode extends VirtNetNode {
  constructor(
    parent: VirtNetNode,
    id: string,
    private readonly host: HostSession,
  ) {
    super(parent, id);
  }

  get session(): HostSession {
    return this.host;
  }
}

/** The id of a host's node, and the prefix of every id below it: `host:<dest>`. */
export function hostId(session: HostSession): string {
  return `host:${session.dest}`;
}

export function icon(name: string, color?: string): vscode.ThemeIcon {
  return new vscode.ThemeIcon(name, color ? new vscode.ThemeColor(color) : undefined);
}

export const colors = {
  ok: 'testing.iconPassed',
  failed: 'testing.iconFailed',
  up: 'charts.green',
  down: 'charts.red',
  warn: 'charts.yellow',
  info: 'charts.blue',
  muted: 'disabledForeground',
} as const;

export interface ItemOptions {
  description?: string;
  icon?: vscode.ThemeIcon;
  contextValue: string;
  collapsible?: boolean | 'expanded';
  command?: vscode.Command;
  tooltip?: vscode.MarkdownString | string;
}

/** Builds a TreeItem with the node's id; collapsible nodes start collapsed unless told otherwise. */
export function makeItem(node: VirtNetNode, label: string | vscode.TreeItemLabel, o: ItemOptions): vscode.TreeItem {
  const state =
    o.collapsible === 'expanded'
      ? vscode.TreeItemCollapsibleState.Expanded
      : o.collapsible
        ? vscode.TreeItemCollapsibleState.Collapsed
        : vscode.TreeItemCollapsibleState.None;
  const item = new vscode.TreeItem(label, state);
  item.id = node.id;
  item.description = o.description;
  item.iconPath = o.icon;
  item.contextValue = o.contextValue;
  item.command = o.command;
  if (o.tooltip) item.tooltip = o.tooltip;
  return item;
}

/** Markdown for tooltips: a bold title and `key: value` facts, values as code. */
export function factsTooltip(title: string, facts: Array<[string, string | number | boolean | null | undefined]>, extra?: string): vscode.MarkdownString {
  const md = new vscode.MarkdownString();
  md.appendMarkdown(`**${escapeMd(title)}**\n\n`);
  for (const [key, value] of facts) {
    if (value === null || value === undefined || value === '') continue;
    md.appendMarkdown(`- ${escapeMd(key)}: `);
    md.appendMarkdown(`\`${String(value).replace(/`/g, "'")}\`\n`);
  }
  if (extra) md.appendMarkdown(`\n${extra}\n`);
  return md;
}

export function escapeMd(text: string): string {
  return text.replace(/[\\`*_{}[\]()#+\-.!|<>]/g, '\\$&');
}

export function yesNo(value: boolean | null | undefined): string | undefined {
  return value === null || value === undefined ? undefined : value ? 'yes' : 'no';
}
