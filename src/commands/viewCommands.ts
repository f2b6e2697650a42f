/**
 * The commands that are not operations of the catalog (they read, or manage the list of hosts),
 * with their package.json titles. No `vscode` import: the unit tier checks package.json against
 * this list and the catalog.
 */
export interface ViewCommand {
  id: string;
  title: string;
  /** Only from a tree node (hidden from the palette): it needs the node it runs on. */
  nodeOnly?: boolean;
}

export const VIEW_COMMANDS: readonly ViewCommand[] = [
  { id: 'virtnet.refresh', title: 'Refresh' },
  { id: 'virtnet.refreshHost', title: 'Refresh Host' },
  { id: 'virtnet.addHost', title: 'Add Host...' },
  { id: 'virtnet.removeHost', title: 'Remove Host' },
  { id: 'virtnet.showLog', title: 'Show Log' },
  { id: 'virtnet.copyInventory', title: 'Copy Inventory as JSON' },
  { id: 'virtnet.showReadiness', title: 'Show Host Readiness' },
  { id: 'virtnet.openXml', title: 'Open libvirt XML' },
  { id: 'virtnet.copyIp', title: 'Copy IP Address', nodeOnly: true },
  { id: 'virtnet.copyMac', title: 'Copy MAC Address', nodeOnly: true },
  { id: 'virtnet.newVmCmdline', title: 'New VM Command Line...' },
];
