/**
 * VirtNet's VS Code entry point: wires the hosts, the tree, the XML documents and the command
 * table together. Everything it shows comes from the core; this layer only presents it.
 */
import * as vscode from 'vscode';
import { commandTable } from './commands/table';
import { refreshAll } from './commands/refresh';
import { registerCommandTable } from './commands/wrapper';
import type { CommandContext } from './flow/context';
import { registerFormOpener } from './flow/forms';
import { adoptInFlight } from './flow/inFlight';
import { afterRead } from './flow/notices';
import { openBridgeForm, registerFormRestore } from './forms/bridge/form';
import { openNetworkForm, registerNetworkFormRestore } from './forms/network/form';
import { HostRegistry } from './hosts/registry';
import type { HostSession } from './hosts/session';
import { SECTION, readSettings } from './hosts/settings';
import { VIEW_ID, VirtNetTreeProvider } from './views/treeProvider';
import { XML_SCHEME, XmlDocumentProvider } from './views/xmlDocuments';

/** What `activate` returns: lets the extension-host tests walk the real tree. */
export interface VirtNetApi {
  getTreeProvider(): VirtNetTreeProvider;
  /** Re-reads the settings, then refreshes every host; resolves when all settled. */
  refreshAll(): Promise<void>;
  hosts(): readonly HostSession[];
}

export function activate(context: vscode.ExtensionContext): VirtNetApi {
  const log = vscode.window.createOutputChannel('VirtNet', { log: true });
  const registry = new HostRegistry(log, context.extension.extensionKind);
  const tree = new VirtNetTreeProvider(registry);
  const xml = new XmlDocumentProvider(registry);
  const view = vscode.window.createTreeView(VIEW_ID, { treeDataProvider: tree, showCollapseAll: true });
  context.subscriptions.push(log, registry, tree, xml, view, vscode.workspace.registerTextDocumentContentProvider(XML_SCHEME, xml));

  // One progress bar per host read, whoever started it (the tree opening, a command, the timer).
  const inProgress = new Set<HostSession>();
  const showProgress = (session: HostSession) => {
    if (session.state.kind !== 'loading' || inProgress.has(session)) return;
    inProgress.add(session);
    void vscode.window.withProgress({ location: { viewId: VIEW_ID } }, () => session.settled()).then(() => inProgress.delete(session));
  };
  context.subscriptions.push(registry.onDidChangeHost(showProgress));

  const ctx: CommandContext = {
    registry,
    tree,
    xml,
    log,
    extensionUri: context.extensionUri,
    state: context.globalState,
    refreshHost: async (session) => {
      const done = session.refresh();
      showProgress(session);
      await done;
    },
  };
  registerFormOpener('bridge', openBridgeForm);
  registerFormOpener('network', (c, session) => openNetworkForm(c, session));
  // Plans an earlier window (before a reload) left running: ask their hosts how they ended.
  void adoptInFlight(ctx, registry);
  context.subscriptions.push(...registerCommandTable(ctx, commandTable()), registerFormRestore(ctx), registerNetworkFormRestore(ctx));
  // After each read: the outcome of any plan nobody saw end (a reload, a dropped connection).
  context.subscriptions.push(registry.onDidChangeHost((session) => session.state.kind === 'ready' && afterRead(ctx, session)));

  let timer: NodeJS.Timeout | undefined;
  const applyInterval = () => {
    if (timer) clearInterval(timer);
    timer = undefined;
    const every = readSettings().refreshIntervalMs;
    // Sessions share an in-flight read, so a slow host is never asked twice at once.
    if (every > 0) timer = setInterval(() => void registry.refreshAll(), every);
  };
  applyInterval();
  context.subscriptions.push({ dispose: () => timer && clearInterval(timer) });

  context.subscriptions.push(
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (!e.affectsConfiguration(SECTION)) return;
      registry.reconcile();
      if (e.affectsConfiguration(`${SECTION}.refreshInterval`)) applyInterval();
    }),
  );

  log.info(`VirtNet activated; this host is ${registry.place.how}${registry.place.remoteName ? ` (${registry.place.remoteName})` : ''}`);

  return {
    getTreeProvider: () => tree,
    refreshAll: () => refreshAll(ctx),
    hosts: () => registry.all(),
  };
}

export function deactivate(): void {}
