/**
 * The one flow every change follows (STYLE 11): plan from the host's current model → refuse bad
 * input with every problem and run nothing → runtime only or saved → modal listing the plan →
 * progress with cancellation → apply (guarded on the connection's path) → the result → refresh.
 */
import * as vscode from 'vscode';
import { oneLineReason } from '../core/exec/errors';
import type { HostModel } from '../core/model/types';
import type { Args, Operation } from '../core/ops/catalog/types';
import { planChange, type Change } from '../core/ops/change';
import { PlanInputError, type Plan } from '../core/ops/plan';
import type { HostSession } from '../hosts/session';
import { confirmPlan } from './confirm';
import type { CommandContext } from './context';
import { executePlan, reportOutcome, type ApplyMode } from './execute';
import { hostLabel } from './hosts';
import type { Outcome } from './outcome';
import { choosePersistence } from './persistChoice';
import { rollbackSeconds } from './rollback';

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
export function applyWithProgress(
  ctx: CommandContext,
  session: HostSession,
  plan: Plan,
  mode: ApplyMode,
  seconds: number,
  extra?: AbortSignal,
): Promise<Outcome> {
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
        progress.report({
          message: guarded ? `applying; a fresh connection must confirm within ${seconds} s` : `${plan.steps.length} steps in one round trip`,
        });
        const abort = new AbortController();
        const sub = token.onCancellationRequested(() => abort.abort());
        const onExtra = () => abort.abort();
        extra?.addEventListener('abort', onExtra);
        // Each step as the host starts it: the bar moves, and says what runs now.
        const onStep = (step: number, of: number) =>
          progress.report({ message: `step ${step} of ${of}: ${plan.steps[step - 1]?.display ?? ''}`, increment: 100 / of });
        try {
          return await executePlan(ctx, session, plan, mode, seconds, abort.signal, onStep);
        } finally {
          sub.dispose();
          extra?.removeEventListener('abort', onExtra);
        }
      },
    ),
  );
}

/**
 * The whole flow for one change. Resolves the outcome (for callers and tests), or undefined when
 * the user copied the script instead; dismissing a picker or the modal throws Cancelled. When the
 * operation saves configuration, the user chooses runtime only or saving through the host's
 * network manager first (or `virtnet.persistence` decides), and the saved files are in the plan.
 */
export async function runChangeFlow(ctx: CommandContext, session: HostSession, op: Operation, args: Args, what: string): Promise<Outcome | undefined> {
  const model = await currentModel(ctx, session);
  // Bad input is refused before anything else is asked.
  const first = planOrRefuse(ctx, session, what, model, (m) => op.plan(m, args));
  if ('kind' in first) return first;
  const backend = first.persist ? await choosePersistence(model, what) : 'none';
  const change = planOrRefuse(ctx, session, what, model, (m): Change => planChange(m, op, args, backend));
  if ('kind' in change) return change;
  const seconds = rollbackSeconds(change.plan.settle);
  const mode = await confirmPlan(ctx, session, change.plan, seconds, { files: change.files, removes: change.removes });
  if (!mode) return undefined;
  const outcome = await applyWithProgress(ctx, session, change.plan, mode, seconds);
  reportOutcome(ctx, session, outcome);
  await ctx.refreshHost(session);
  return outcome;
}
