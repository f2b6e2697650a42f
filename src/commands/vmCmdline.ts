/**
 * New VM Command Line...: on a network, a bridge, a PCI device or a VF (or from the palette, which
 * asks), the guide's lines for a new VM with that NIC, from the core: shown in an editor, with the
 * host's gaps said, and the virt-install line to copy or to type into a terminal on the host.
 */
import * as vscode from 'vscode';
import type { HostModel } from '../core/model/types';
import { CmdlineInputError, cmdlinesText, vmCmdlines, type CmdlineNic } from '../core/vmCmdline';
import { shJoin } from '../core/exec/quote';
import { Cancelled, type CommandContext } from '../flow/context';
import { resolveHost } from '../flow/hosts';
import { pick } from '../flow/pickers';
import type { HostSession } from '../hosts/session';
import { BridgeNode } from '../views/nodes/bridges';
import { NetworkNode } from '../views/nodes/networks';
import { PciNode, VfNode } from '../views/nodes/pci';

function nicOfNode(node: unknown): { session: HostSession; nic: CmdlineNic } | undefined {
  if (node instanceof NetworkNode) return { session: node.session, nic: { type: 'network', network: node.network.name } };
  if (node instanceof BridgeNode) return { session: node.session, nic: { type: 'bridge', bridge: node.bridge.name } };
  if (node instanceof VfNode) return { session: node.session, nic: { type: 'vf', address: node.address } };
  if (node instanceof PciNode) return { session: node.session, nic: { type: 'pci', address: node.device.address } };
  return undefined;
}

/** From the palette: what the NIC is, from the host's own networks, bridges and devices. */
async function askNic(model: HostModel): Promise<CmdlineNic> {
  const nic = await pick<CmdlineNic>(
    [
      ...model.networks.map((n) => ({
        label: n.name,
        description: `libvirt network (${n.forwardMode ?? 'isolated'})`,
        value: { type: 'network' as const, network: n.name },
      })),
      ...model.bridges.map((b) => ({ label: b.name, description: 'host bridge', value: { type: 'bridge' as const, bridge: b.name } })),
      ...model.links
        .filter((l) => l.kind !== 'bridge' && !l.master && l.name !== 'lo' && l.kind !== 'tun')
        .map((l) => ({
          label: l.name,
          description: 'macvtap (bridge mode) over this NIC',
          value: { type: 'direct' as const, dev: l.name, mode: 'bridge' as const },
        })),
      { label: 'user-mode', description: 'SLIRP, behind the host', value: { type: 'user' as const, passt: false, forwards: [] } },
      { label: 'user-mode on passt', description: 'behind the host, forwards libvirt holds', value: { type: 'user' as const, passt: true, forwards: [] } },
      ...model.pciDevices.map((d) => ({
        label: d.address,
        description: d.physfn ? 'SR-IOV VF' : 'PCI device (passthrough)',
        value: { type: d.physfn ? ('vf' as const) : ('pci' as const), address: d.address },
      })),
      { label: 'none', description: 'no NIC', value: { type: 'none' as const } },
    ],
    'New VM Command Line',
    'The new VM connects to',
    '',
  );
  if (nic === undefined) throw new Cancelled();
  return nic;
}

export async function newVmCmdline(ctx: CommandContext, node?: unknown): Promise<vscode.TextDocument> {
  const fromNode = nicOfNode(node);
  const session = fromNode?.session ?? (await resolveHost(ctx, undefined, 'New VM Command Line for which host?'));
  if (!session.model) await ctx.refreshHost(session);
  const model = session.model;
  if (!model) throw new Error(`${session.dest}: no inventory to build the lines from`);
  const nic = fromNode?.nic ?? (await askNic(model));
  let lines;
  try {
    lines = vmCmdlines(model, { nic });
  } catch (e) {
    if (e instanceof CmdlineInputError) throw new Error(e.problems.join('; '));
    throw e;
  }
  const said = [...lines.problems.map((p) => `# ! on ${model.info.hostname} now: ${p}`), ...lines.notes.map((n) => `# note: ${n}`)];
  const doc = await vscode.workspace.openTextDocument({
    language: 'shellscript',
    content: `${cmdlinesText(lines)}\n${said.length ? `\n${said.join('\n')}\n` : ''}`,
  });
  await vscode.window.showTextDocument(doc, { preview: true });
  const line = shJoin(lines.virtInstall);
  void vscode.window
    .showInformationMessage(
      `VirtNet: a new VM on ${model.info.hostname}${lines.problems.length ? ` (${lines.problems.length} thing(s) to fix first, in the editor)` : ''}`,
      'Copy virt-install Line',
      'Type It in a Terminal',
    )
    .then((choice) => {
      if (choice === 'Copy virt-install Line') return vscode.env.clipboard.writeText(line);
      if (choice === 'Type It in a Terminal') {
        // On the host: this window's own (local or Remote-SSH), else an ssh session to it. Typed, not run: the user presses Enter.
        const t = session.isThisHost
          ? vscode.window.createTerminal({ name: `VirtNet: ${model.info.hostname}` })
          : vscode.window.createTerminal({ name: `VirtNet: ${session.dest}`, shellPath: 'ssh', shellArgs: [session.dest] });
        t.show();
        t.sendText(line, false);
      }
      return undefined;
    });
  return doc;
}
