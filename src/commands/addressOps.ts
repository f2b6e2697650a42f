/**
 * Addresses on a bridge, from the tree and the palette: add one, take some (or all) off, or ask
 * DHCP, as the guide does with `ip addr` and `dhclient br9`. Arguments for scripts and tests:
 * `(dest, bridge, cidr)`, `(dest, bridge, cidr | cidr[] | 'all')`, `(dest, bridge)`.
 */
import * as vscode from 'vscode';
import { planAddresses } from '../core/ops/address';
import { checkCidr } from '../core/validate';
import { Cancelled, type CommandContext } from './context';
import { resolveBridge } from './pickBridge';
import { runPlanFlow } from './planFlow';

export async function addAddress(ctx: CommandContext, ...args: unknown[]) {
  const t = await resolveBridge(ctx, args, 'Add an address to which bridge?');
  const have = t.model.links.find((l) => l.name === t.bridge)?.addresses ?? [];
  const cidr =
    typeof args[2] === 'string'
      ? args[2]
      : await vscode.window.showInputBox({
          title: `Add an address to ${t.bridge}`,
          prompt: `Address with prefix length${have.length ? ` (${t.bridge} has ${have.join(', ')})` : ''}`,
          placeHolder: '192.168.9.10/24',
          validateInput: (v) => checkCidr(v.trim()) ?? (have.includes(v.trim()) ? `${t.bridge} already has ${v.trim()}` : undefined),
        });
  if (cidr === undefined) throw new Cancelled();
  const intent = { ifname: t.bridge, add: [cidr.trim()] };
  return runPlanFlow(ctx, t.session, `Add ${cidr.trim()} to ${t.bridge}`, (m) => planAddresses(m, intent), {}, { op: 'address', intent });
}

/** Remove Address...: one or more of the bridge's addresses; picking them all clears it. */
export async function removeAddress(ctx: CommandContext, ...args: unknown[]) {
  const t = await resolveBridge(ctx, args, 'Remove an address from which bridge?');
  const have = t.model.links.find((l) => l.name === t.bridge)?.addresses ?? [];
  let remove: string[];
  const arg = args[2];
  if (arg === 'all') remove = have;
  else if (typeof arg === 'string') remove = [arg];
  else if (Array.isArray(arg) && arg.every((a) => typeof a === 'string')) remove = arg as string[];
  else {
    if (have.length === 0) throw new Error(`${t.bridge} has no addresses`);
    const picked = await vscode.window.showQuickPick(
      have.map((a) => ({ label: a, picked: have.length === 1 })),
      { title: `Remove addresses from ${t.bridge}`, placeHolder: 'Addresses to take off (all of them clears the bridge; its routes go with the last one)', canPickMany: true },
    );
    if (!picked || picked.length === 0) throw new Cancelled();
    remove = picked.map((p) => p.label);
  }
  const clear = have.length > 0 && have.every((a) => remove.includes(a));
  const what = clear ? `Clear the addresses of ${t.bridge}` : `Remove ${remove.join(', ')} from ${t.bridge}`;
  const intent = { ifname: t.bridge, remove };
  return runPlanFlow(ctx, t.session, what, (m) => planAddresses(m, intent), {}, { op: 'address', intent });
}

/** Get Address by DHCP: the host's DHCP client asks once; the guard waits for DHCP to settle. */
export async function dhcpAddress(ctx: CommandContext, ...args: unknown[]) {
  const t = await resolveBridge(ctx, args, 'Ask DHCP for the address of which bridge?');
  const br = t.model.bridges.find((b) => b.name === t.bridge);
  const intent = { ifname: t.bridge, dhcp: true };
  return runPlanFlow(
    ctx,
    t.session,
    `Ask DHCP for ${t.bridge}'s address`,
    (m) => planAddresses(m, intent),
    { dhcp: true, stp: br?.stp, forwardDelay: br?.forwardDelay ?? undefined },
    { op: 'address', intent },
  );
}
