/** Refresh all hosts, or one. */
import type { CommandContext } from '../flow/context';
import { resolveHost } from '../flow/hosts';

export async function refreshAll(ctx: CommandContext): Promise<void> {
  // Settings may have changed without an event reaching us yet: line up the hosts first.
  ctx.registry.reconcile();
  await Promise.all(ctx.registry.all().map((s) => ctx.refreshHost(s)));
}

export async function refreshOne(ctx: CommandContext, arg?: unknown): Promise<void> {
  const session = await resolveHost(ctx, arg, 'Refresh which host?');
  await ctx.refreshHost(session);
}
