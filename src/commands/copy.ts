/** Copy IP Address / Copy MAC Address on a lease or a VM NIC: what an administrator pastes next. */
import * as vscode from 'vscode';
import type { CommandContext } from '../flow/context';
import { AttachedNicNode, LeaseNode } from '../views/nodes/networks';
import { VmNicNode } from '../views/nodes/vms';

function valueOf(node: unknown, what: 'ip' | 'mac'): string | undefined {
  if (node instanceof LeaseNode) return what === 'ip' ? node.lease.ip : node.lease.mac;
  if (node instanceof VmNicNode || node instanceof AttachedNicNode) return what === 'ip' ? node.nic.ips[0] : (node.nic.mac ?? undefined);
  return undefined;
}

export async function copyFromNode(_ctx: CommandContext, node: unknown, what: 'ip' | 'mac'): Promise<string | undefined> {
  const name = what === 'ip' ? 'IP address' : 'MAC address';
  const value = valueOf(node, what);
  if (value === undefined) {
    void vscode.window.showWarningMessage(
      node instanceof VmNicNode || node instanceof AttachedNicNode
        ? `VirtNet: this NIC has no known ${name} (no DHCP lease of a libvirt network and no neighbour of the host has its MAC)`
        : `VirtNet: Copy ${name} works on a DHCP lease or a VM NIC in the VirtNet view`,
    );
    return undefined;
  }
  await vscode.env.clipboard.writeText(value);
  vscode.window.setStatusBarMessage(`VirtNet: copied ${value}`, 3000);
  return value;
}
