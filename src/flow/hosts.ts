/** Finds the host a command is about: from the node it was run on, a host name, or a QuickPick. */
import * as vscode from 'vscode';
import type { HostSession } from '../hosts/session';
import { VirtNetNode } from '../views/nodes/base';
import { Cancelled, type CommandContext } from './context';

export function hostLabel(s: HostSession): string {
  return s.isThisHost ? `${s.model?.info.hostname ?? 'This host'} (this host)` : s.dest;
}

/** The host of a command argument, or undefined when the argument names none. */
export function sessionOf(ctx: CommandContext, arg: unknown): HostSession | undefined {
  if (arg instanceof VirtNetNode) return arg.session;
  if (typeof arg === 'string') {
    const found = ctx.registry.find(arg);
    if (!found) throw new Error(`${arg} is not one of the VirtNet hosts`);
    return found;
  }
  return undefined;
}

/** The host for a command: the argument's, the only one there is, or the one the user picks. */
export async function resolveHost(ctx: CommandContext, arg: unknown, title: string, filter: (s: HostSession) => boolean = () => true): Promise<HostSession> {
  const given = sessionOf(ctx, arg);
  if (given) return given;
  const candidates = ctx.registry.all().filter(filter);
  if (candidates.length === 0) throw new Error('there is no host to choose: add one with "VirtNet: Add Host..."');
  if (candidates.length === 1) return candidates[0];
  const picked = await vscode.window.showQuickPick(
    candidates.map((s) => ({ label: hostLabel(s), description: s.state.kind === 'error' ? 'failed' : undefined, session: s })),
    { title, placeHolder: 'Host' },
  );
  if (!picked) throw new Cancelled();
  return picked.session;
}
