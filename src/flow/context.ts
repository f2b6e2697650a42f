/** What command handlers get: the hosts, the tree, the log, the XML documents. */
import type * as vscode from 'vscode';
import type { HostRegistry } from '../hosts/registry';
import type { HostSession } from '../hosts/session';
import type { VirtNetTreeProvider } from '../views/treeProvider';
import type { XmlDocumentProvider } from '../views/xmlDocuments';

export interface CommandContext {
  registry: HostRegistry;
  tree: VirtNetTreeProvider;
  xml: XmlDocumentProvider;
  log: vscode.LogOutputChannel;
  /** Where the extension is installed: the form loads its webview bundle from here. */
  extensionUri: vscode.Uri;
  /** Refreshes one host with the view's progress bar; resolves when the host settled. */
  refreshHost(session: HostSession): Promise<void>;
  /** What outlives a window reload (the plans this window had running): the extension's global state. */
  state: vscode.Memento;
}

/** Thrown when the user dismisses a picker: the wrapper drops it silently. */
export class Cancelled extends Error {
  constructor() {
    super('cancelled by the user');
    this.name = 'Cancelled';
  }
}
