/**
 * The one flow every change command follows (STYLE 11): plan from the host's current model →
 * refuse bad input with every problem and run nothing → modal listing the plan → progress with
 * cancellation → apply (guarded on the connection's path) → the result → refresh that host.
 */
import * as vscode from 'vscode';
import { oneLineReason } from '../core/exec/errors';
import type { HostModel } from '../core/model/types';
import { PlanInputError, type Plan } from '../core/ops/plan';
import { planWithSave, type PersistOp, type SavedPlan } from '../core/ops/persist/index';
import type { Outcome } from '../forms/protocol';
import type { HostSession } from '../hosts/session';
import { executePlan, reportOutcome, type ApplyMode } from './applyPlan';
import { confirmPlan } from './confirm';
import type { CommandContext } from './context';
import { choosePersistence } from './persistChoice';
import { hostLabel } from './pickHost';
import { rollbackSeconds, type Settle } from './rollback';

/** The model the user is looking at; read first when the host was never read. */
export async function currentModel(ctx: CommandContext, session: HostSession): Promise<HostModel> {
  // A read in flight (the one after the last change, say) is newer than the model we hold: a
  // plan made from the older one could undo or repeat that change.
  await session.settled();
  if (!session.model) await ctx.refreshHost(session);
  const model = session.model;
  if (!model) {
    const why = session.state.kind === 'error' ? oneLineReason(session.state.error) : 'no inventory';
    throw new Error(`${hostLabel(session)} could not be read (${why}); nothing was planned`);
  }
  return model;
}

/** Input refused: one message naming every problem; nothing ran. */
export function refuse(ctx: CommandContext, session: HostSession, what: string, problems: readonly string[]): Outcome {
  const message = `${what}: refused, nothing ran: ${problems.join('; ')}`;
  ctx.log.warn(`[${session.dest}] ${message}`);
  void vscode.window.showErrorMessage(`VirtNet: ${message}`);
  return { kind: 'error', message, detail: problems.join('\n') };
}

/** Plans with `build`; bad input becomes the refusal outcome (already shown and logged). */
export function planOrRefuse<T>(ctx: CommandContext, session: HostSession, what: string, model: HostModel, build: (m: HostModel) => T): T | Outcome {
  try {
    return build(model);
  } catch (err) {
    if (err instanceof PlanInputError) return refuse(ctx, session, what, err.problems);
    throw err;
  }
}

/** Applies with a notification progress; plain runs can be cancelled from it (and from `extra`). */
export function applyWithProgress(ctx: CommandContext, session: HostSession, plan: Plan, mode: ApplyMode, seconds: number, extra?: AbortSignal): Promise<Outcome> {
  const guarded = mode === 'guarded';
  return Promise.resolve(
    vscode.window.withProgress(
      {
        location: vscode.ProgressLocation.Notification,
        title: `VirtNet: ${plan.title} on ${hostLabel(session)}`,
        // Once the guard's rollback is armed the host must hear back from us: no cancelling then.
        cancellable: !guarded,
      },
      async (progress, token) => {
        progress.report({ message: guarded ? `applying; a fresh connection must confirm within ${seconds} s` : `${plan.steps.length} steps in one round trip` });
        const abort = new AbortController();
        const sub = token.onCancellationRequested(() => abort.abort());
        const onExtra = () => abort.abort();
        extra?.addEventListener('abort', onExtra);
        try {
          return await executePlan(ctx, session, plan, mode, seconds, abort.signal);
        } finally {
          sub.dispose();
          extra?.removeEventListener('abort', onExtra);
        }
      },
    ),
  );
}

/**
 * The whole flow for one command. Resolves the outcome (for callers and tests), or undefined
 * when the user copied the script instead; dismissing a picker or the modal throws Cancelled.
 * With `persist`, the user chooses runtime only or saving through the host's network manager
 * first, and the saved files are part of the plan and its preview.
 */
export async function runPlanFlow(
  ctx: CommandContext,
  session: HostSession,
  what: string,
  build: (m: HostModel) => Plan,
  settle: Settle = {},
  persist?: PersistOp,
): Promise<Outcome | undefined> {
  const model = await currentModel(ctx, session);
  const backend = persist ? await choosePersistence(model, what) : 'none';
  const now = new Date();
  const planned = planOrRefuse(ctx, session, what, model, (m): SavedPlan => {
    const plan = build(m);
    return persist ? planWithSave(m, plan, persist, backend, { now }) : { plan, files: [], removes: [] };
  });
  if ('kind' in planned) return planned;
  const seconds = rollbackSeconds(settle);
  const mode = await confirmPlan(ctx, session, planned.plan, seconds, { files: planned.files, removes: planned.removes });
  if (!mode) return undefined;
  const outcome = await applyWithProgress(ctx, session, planned.plan, mode, seconds);
  reportOutcome(ctx, session, outcome);
  await ctx.refreshHost(session);
  return outcome;
}
