/**
 * The bridge and tap commands of the tree's context menus and the palette. Each finds its target,
 * then hands a planner to the one plan flow; Create Bridge and Bridge My Uplink open the form.
 */
import * as vscode from 'vscode';
import { checkIfName } from '../core/validate';
import { planAddPort, planCreateTap, planDeleteBridge, planDeleteTap, planRemovePort, planSetStp } from '../core/ops/bridge';
import type { FormMode } from '../forms/protocol';
import { openBridgeForm } from '../forms/bridgeForm';
import { BridgeNode, PortNode } from '../views/nodes/bridges';
import { PciNode } from '../views/nodes/pci';
import { Cancelled, type CommandContext } from './context';
import { pickFreeInterface, resolveBridge, resolvePort } from './pickBridge';
import { resolveHost, sessionOf } from './pickHost';
import { currentModel, runPlanFlow } from './planFlow';

/** Create Bridge... / Bridge My Uplink...: the form, on the node's host; the NIC from a NIC node. */
export async function openForm(ctx: CommandContext, mode: FormMode, arg: unknown, nicArg?: unknown) {
  const session = await resolveHost(ctx, arg, mode === 'create' ? 'Create a bridge on which host?' : 'Bridge the uplink of which host?');
  let nic: string | undefined;
  if (arg instanceof PortNode) nic = arg.port.name;
  else if (arg instanceof PciNode) nic = arg.device.netdevs[0];
  else if (typeof nicArg === 'string') nic = nicArg;
  await openBridgeForm(ctx, session, { mode, ...(nic ? { nic } : {}) });
}

export async function addPort(ctx: CommandContext, ...args: unknown[]) {
  const t = await resolveBridge(ctx, args, 'Add a port to which bridge?');
  const port = typeof args[2] === 'string' ? args[2] : await pickFreeInterface(t.model, t.bridge, `Add a port to ${t.bridge}`);
  return runPlanFlow(ctx, t.session, `Add ${port} to ${t.bridge}`, (m) => planAddPort(m, t.bridge, port), {}, { op: 'add-port', bridge: t.bridge, port });
}

export async function removePort(ctx: CommandContext, ...args: unknown[]) {
  const t = await resolvePort(ctx, args, 'Remove a port from which bridge?');
  return runPlanFlow(ctx, t.session, `Remove ${t.port} from ${t.bridge}`, (m) => planRemovePort(m, t.bridge, t.port), {}, { op: 'remove-port', bridge: t.bridge, port: t.port });
}

export async function setStp(ctx: CommandContext, on: boolean, ...args: unknown[]) {
  const t = await resolveBridge(ctx, args, `Turn STP ${on ? 'on' : 'off'} on which bridge?`);
  const fd = t.model.bridges.find((b) => b.name === t.bridge)?.forwardDelay ?? undefined;
  return runPlanFlow(ctx, t.session, `Turn STP ${on ? 'on' : 'off'} on ${t.bridge}`, (m) => planSetStp(m, t.bridge, on), { stp: on, forwardDelay: fd }, { op: 'stp', bridge: t.bridge, on });
}

/**
 * Delete Bridge: a bridge holding addresses or VM NICs is refused by the planner; the user may
 * insist after a warning naming them, which plans with `force`.
 */
export async function deleteBridge(ctx: CommandContext, ...args: unknown[]) {
  const t = await resolveBridge(ctx, args, 'Delete which bridge?');
  const br = t.model.bridges.find((b) => b.name === t.bridge);
  let force = args[3] === 'force';
  const carries = [
    ...(br?.addresses.length ? [`the host's addresses ${br.addresses.join(', ')} (deleting it may cut the connection)`] : []),
    ...(br?.ports.some((p) => p.domain) ? [`VM NICs ${br.ports.filter((p) => p.domain).map((p) => `${p.name} (VM ${p.domain})`).join(', ')}`] : []),
  ];
  if (carries.length && !force) {
    const insist = 'Delete Anyway';
    const choice = await vscode.window.showWarningMessage(
      `${t.bridge} carries ${carries.join(' and ')}. Delete it anyway?`,
      { modal: true, detail: 'VirtNet refuses to delete a bridge in use unless you insist. The next dialog lists the plan before anything runs.' },
      insist,
    );
    if (choice !== insist) throw new Cancelled();
    force = true;
  }
  return runPlanFlow(ctx, t.session, `Delete bridge ${t.bridge}`, (m) => planDeleteBridge(m, t.bridge, force), {}, { op: 'delete-bridge', bridge: t.bridge });
}

/** Create Tap...: `(node | dest, name?, bridge?)`; on a bridge node the tap joins that bridge. */
export async function createTap(ctx: CommandContext, ...args: unknown[]) {
  const [arg, nameArg, bridgeArg] = args;
  const session = await resolveHost(ctx, arg, 'Create a tap on which host?');
  const model = await currentModel(ctx, session);
  const taken = new Set(model.links.map((l) => l.name));
  const name =
    typeof nameArg === 'string'
      ? nameArg
      : await vscode.window.showInputBox({
          title: 'Create a tap for raw QEMU (-netdev tap,ifname=...)',
          prompt: 'Tap name (at most 15 bytes)',
          placeHolder: 'vnet9',
          validateInput: (v) => checkIfName(v, 'tap name') ?? (taken.has(v) ? `an interface named "${v}" already exists` : undefined),
        });
  if (name === undefined) throw new Cancelled();
  let bridge: string | undefined;
  if (arg instanceof BridgeNode) bridge = arg.bridge.name;
  else if (typeof bridgeArg === 'string') bridge = bridgeArg || undefined;
  else if (typeof nameArg !== 'string' && model.bridges.length > 0) {
    const none = '(no bridge)';
    const picked = await vscode.window.showQuickPick([none, ...model.bridges.map((b) => b.name)], { title: `Plug ${name} into a bridge?`, placeHolder: 'Bridge (optional)' });
    if (picked === undefined) throw new Cancelled();
    bridge = picked === none ? undefined : picked;
  }
  return runPlanFlow(ctx, session, `Create tap ${name}`, (m) => planCreateTap(m, name, bridge), {}, { op: 'create-tap', name, ...(bridge ? { bridge } : {}) });
}

/** Delete Tap: a tap port node, `(dest, name)`, or a pick of the host's taps. */
export async function deleteTap(ctx: CommandContext, ...args: unknown[]) {
  const [arg, nameArg] = args;
  if (arg instanceof PortNode) {
    const name = arg.port.name;
    return runPlanFlow(ctx, arg.session, `Delete tap ${name}`, (m) => planDeleteTap(m, name), {}, { op: 'delete-tap', name });
  }
  const session = sessionOf(ctx, arg) ?? (await resolveHost(ctx, arg, 'Delete a tap on which host?'));
  const model = await currentModel(ctx, session);
  let name = typeof nameArg === 'string' ? nameArg : undefined;
  if (name === undefined) {
    const taps = model.links.filter((l) => l.portKind === 'tap');
    if (taps.length === 0) throw new Error(`${model.info.hostname} has no taps`);
    const vmOf = (t: string) => model.domains.find((d) => d.interfaces.some((i) => i.target === t))?.name;
    const picked = await vscode.window.showQuickPick(
      taps.map((t) => ({ label: t.name, description: [t.master ? `on ${t.master}` : 'no bridge', vmOf(t.name) ? `VM ${vmOf(t.name)}` : 'raw tap'].join(' · ') })),
      { title: 'Delete which tap?' },
    );
    if (!picked) throw new Cancelled();
    name = picked.label;
  }
  const tap = name;
  return runPlanFlow(ctx, session, `Delete tap ${tap}`, (m) => planDeleteTap(m, tap), {}, { op: 'delete-tap', name: tap });
}
