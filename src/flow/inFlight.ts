/**
 * The plans this window has running, remembered across a window reload: a reload kills the
 * extension host while the plan goes on on the host (detached, see core/ops/runner.ts), so the
 * next window must know which journals to ask about. Each is reported once the host has it.
 */
import type { HostRegistry } from '../hosts/registry';
import type { CommandContext } from './context';

const KEY = 'virtnet.plansInFlight';
/** A record older than this is dropped unread: the host keeps journals a week. */
const MAX_AGE_MS = 7 * 24 * 3600 * 1000;

interface InFlight {
  dest: string;
  id: string;
  since: number;
}

function read(ctx: Pick<CommandContext, 'state'>): InFlight[] {
  const v = ctx.state.get<unknown>(KEY);
  return Array.isArray(v) ? v.filter((x): x is InFlight => typeof x?.dest === 'string' && typeof x?.id === 'string' && typeof x?.since === 'number') : [];
}

/** Runs `body` with plan `id` on `dest` remembered until it ends (or the window goes). */
export async function whileInFlight<T>(ctx: CommandContext, dest: string, id: string, body: () => Promise<T>): Promise<T> {
  await ctx.state.update(KEY, [...read(ctx), { dest, id, since: Date.now() }]);
  try {
    return await body();
  } finally {
    await ctx.state.update(
      KEY,
      read(ctx).filter((p) => p.id !== id),
    );
  }
}

/**
 * At activation: the plans an earlier window left running become "lost" plans of their hosts,
 * reported after the next read that finds them ended.
 */
export async function adoptInFlight(ctx: Pick<CommandContext, 'state'>, registry: HostRegistry): Promise<void> {
  const now = Date.now();
  const keep: InFlight[] = [];
  for (const p of read(ctx)) {
    if (now - p.since > MAX_AGE_MS) continue;
    const session = registry.find(p.dest);
    if (session) session.noteLostPlan(p.id);
    else keep.push(p);
  }
  await ctx.state.update(KEY, keep);
}
