/** Nodes that are not host objects: loading, errors, the actions that fix them, plain notes. */
import * as vscode from 'vscode';
import { tokenOf } from '../contextValues';
import { HostChildNode, colors, icon, makeItem, type VirtNetNode } from './base';
import type { HostSession } from '../../hosts/session';

export class LoadingNode extends HostChildNode {
  constructor(parent: VirtNetNode, session: HostSession) {
    super(parent, `${parent.id}/loading`, session);
  }

  treeItem(): vscode.TreeItem {
    return makeItem(this, 'Loading…', {
      icon: icon('loading~spin'),
      contextValue: tokenOf({ node: 'status', kind: 'loading' }),
      description: this.session.isThisHost ? 'reading this host' : `connecting to ${this.session.dest}`,
    });
  }
}

/** The one-line reason a host could not be read; the full message is in the tooltip. */
export class ErrorNode extends HostChildNode {
  constructor(
    parent: VirtNetNode,
    session: HostSession,
    private readonly reason: string,
    private readonly hint: string | undefined,
    private readonly full: string,
  ) {
    super(parent, `${parent.id}/error`, session);
  }

  treeItem(): vscode.TreeItem {
    return makeItem(this, this.reason, {
      icon: icon('error', colors.failed),
      contextValue: tokenOf({ node: 'status', kind: 'error' }),
      description: this.hint,
    });
  }

  override tooltip(): vscode.MarkdownString {
    const md = new vscode.MarkdownString();
    md.appendMarkdown('**Could not read the host**\n\n');
    md.appendCodeblock(this.full, 'text');
    if (this.hint) md.appendMarkdown(`\n${this.hint}`);
    return md;
  }
}

/** A clickable fix: Retry, Edit hosts setting, Show log. */
export class ActionNode extends HostChildNode {
  constructor(
    parent: VirtNetNode,
    session: HostSession,
    readonly action: 'retry' | 'settings' | 'log',
    private readonly label: string,
    private readonly codicon: string,
    private readonly command: vscode.Command,
  ) {
    super(parent, `${parent.id}/action/${action}`, session);
  }

  treeItem(): vscode.TreeItem {
    return makeItem(this, this.label, {
      icon: icon(this.codicon),
      contextValue: tokenOf({ node: 'action', action: this.action }),
      command: this.command,
    });
  }
}

/** A plain line of text, e.g. "No bridges". */
export class NoteNode extends HostChildNode {
  constructor(
    parent: VirtNetNode,
    session: HostSession,
    segment: string,
    private readonly text: string,
    private readonly codicon = 'info',
  ) {
    super(parent, `${parent.id}/note/${segment}`, session);
  }

  treeItem(): vscode.TreeItem {
    return makeItem(this, this.text, { icon: icon(this.codicon, colors.muted), contextValue: tokenOf({ node: 'note' }) });
  }
}
