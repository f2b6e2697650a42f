/**
 * Finds what a bridge command is about: from the tree node it ran on, from string arguments
 * (`dest, bridge, port`: for scripts, keybindings and tests), or from QuickPicks in the palette.
 */
import * as vscode from 'vscode';
import type { HostModel, Link } from '../core/model/types';
import type { HostSession } from '../hosts/session';
import { BridgeNode, PortNode } from '../views/nodes/bridges';
import { Cancelled, type CommandContext } from './context';
import { resolveHost } from './pickHost';
import { currentModel } from './planFlow';

export interface BridgeTarget {
  session: HostSession;
  model: HostModel;
  bridge: string;
}

export interface PortTarget extends BridgeTarget {
  port: string;
}

const usable = (s: HostSession) => s.state.kind !== 'error' || s.model !== undefined;

async function pick<T>(items: Array<vscode.QuickPickItem & { value: T }>, title: string, placeHolder: string, empty: string): Promise<T> {
  if (items.length === 0) throw new Error(empty);
  const picked = await vscode.window.showQuickPick(items, { title, placeHolder, matchOnDescription: true });
  if (!picked) throw new Cancelled();
  return picked.value;
}

/** The bridge of a BridgeNode or PortNode, `(dest, bridge)`, or the one the user picks. */
export async function resolveBridge(ctx: CommandContext, args: unknown[], title: string): Promise<BridgeTarget> {
  const [arg, name] = args;
  if (arg instanceof BridgeNode || arg instanceof PortNode) {
    const bridge = arg instanceof BridgeNode ? arg.bridge.name : (arg.parent as BridgeNode).bridge.name;
    return { session: arg.session, model: await currentModel(ctx, arg.session), bridge };
  }
  const session = await resolveHost(ctx, arg, title, usable);
  const model = await currentModel(ctx, session);
  if (typeof name === 'string') return { session, model, bridge: name };
  const bridge = await pick(
    model.bridges.map((b) => ({ label: b.name, description: bridgeFacts(b), value: b.name })),
    title,
    'Bridge',
    `${model.info.hostname} has no Linux bridges`,
  );
  return { session, model, bridge };
}

/** A port: a PortNode, `(dest, bridge, port)`, or picked. */
export async function resolvePort(ctx: CommandContext, args: unknown[], title: string): Promise<PortTarget> {
  const [arg, , port] = args;
  if (arg instanceof PortNode) {
    return { session: arg.session, model: await currentModel(ctx, arg.session), bridge: (arg.parent as BridgeNode).bridge.name, port: arg.port.name };
  }
  const target = await resolveBridge(ctx, args, title);
  if (typeof port === 'string') return { ...target, port };
  const br = target.model.bridges.find((b) => b.name === target.bridge);
  const name = await pick(
    (br?.ports ?? []).map((p) => ({ label: p.name, description: [p.kind, p.domain ? `VM ${p.domain}` : undefined].filter(Boolean).join(' · '), value: p.name })),
    title,
    `Port of ${target.bridge}`,
    `${target.bridge} has no ports`,
  );
  return { ...target, port: name };
}

function bridgeFacts(b: HostModel['bridges'][number]): string {
  return [b.up ? 'up' : 'down', b.stp ? 'STP on' : 'STP off', `${b.ports.length} ports`, ...b.addresses].join(' · ');
}

/** Interfaces that may become a bridge port: not a bridge, not loopback, not already a port. */
export function freeInterfaces(model: HostModel): Link[] {
  return model.links.filter((l) => l.name !== 'lo' && l.kind !== 'bridge' && !l.master);
}

/** Interfaces that can be an uplink: free, and not a tap (a tap leads to a VM, not off the host). */
export function uplinkCandidates(model: HostModel): Link[] {
  return freeInterfaces(model).filter((l) => l.portKind !== 'tap');
}

export function linkFacts(l: Link): string {
  return [l.portKind === 'other' ? (l.kind ?? 'interface') : l.portKind, l.up ? 'up' : 'down', ...l.addresses].join(' · ');
}

/** QuickPick of the interfaces free to join `bridge`; addressed ones say so. */
export async function pickFreeInterface(model: HostModel, bridge: string, title: string): Promise<string> {
  return pick(
    freeInterfaces(model).map((l) => ({ label: l.name, description: linkFacts(l), detail: l.addresses.length ? 'its addresses stop working once it is a port' : undefined, value: l.name })),
    title,
    `Interface to add to ${bridge}`,
    `${model.info.hostname} has no free interface to add`,
  );
}
