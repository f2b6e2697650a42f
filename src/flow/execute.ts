/**
 * Runs an approved plan on a host, plain or under the connectivity guard, and turns what
 * happened into one Outcome that a message or the form can show. Shared by the commands and the
 * forms, so both apply the same way and log the same lines.
 */
import * as vscode from 'vscode';
import { oneLineReason } from '../core/exec/errors';
import { type SshExecutor } from '../core/exec/ssh';
import { applyPlan } from '../core/ops/apply';
import { applyGuarded } from '../core/ops/guard';
import { newJournalId } from '../core/ops/runner';
import { shJoin } from '../core/exec/quote';
import type { Plan } from '../core/ops/plan';
import type { HostSession } from '../hosts/session';
import type { CommandContext } from './context';
import { hostLabel } from './hosts';
import { whileInFlight } from './inFlight';
import type { Outcome } from './outcome';
import { windowConfirmedExecutor } from './windowGuard';

export type ApplyMode = 'plain' | 'guarded';

/**
 * How a guarded apply on `session` is confirmed, or null when it cannot be: an SSH host by a
 * fresh SSH connection; "this host" under a remote window (Remote-SSH, a VS Code server) by a
 * round trip to that window, and only when the inventory found the connection's path (otherwise
 * nothing is flagged anyway). A local window changing its own machine has nothing to lose.
 */
export function guardKind(ctx: CommandContext, session: HostSession): 'ssh' | 'window' | null {
  if (!session.isThisHost) return session.getExecutor().kind === 'ssh' ? 'ssh' : null;
  return ctx.registry.place.remote ? 'window' : null;
}

export function canGuard(ctx: CommandContext, session: HostSession): boolean {
  return guardKind(ctx, session) !== null;
}

function logPlan(ctx: CommandContext, session: HostSession, plan: Plan, how: string): void {
  ctx.log.info(`[${session.dest}] applying "${plan.title}" (${plan.steps.length} steps, ${how})`);
  plan.steps.forEach((s, i) => ctx.log.info(`[${session.dest}]   ${i + 1}. ${shJoin(s.argv)}`));
}

/** What the host said that a user must see: what changed (refused), or where it differs after. */
function bullets(lines: readonly string[]): string {
  return lines.map((l) => `- ${l}`).join('\n');
}

const CHANGED = 'the host changed since you looked: refresh and review again';

/**
 * Applies `plan`. A plain run can be cancelled through `signal`: the host's script stops before
 * its next step and undoes the ones done, and the outcome says how far it got (or that the
 * cancel came too late and the change is applied). A guarded run cannot be cancelled once the
 * rollback is armed (the host must hear back from us either way). Never throws: every end is an
 * Outcome.
 */
export async function executePlan(
  ctx: CommandContext,
  session: HostSession,
  plan: Plan,
  mode: ApplyMode,
  seconds: number,
  signal?: AbortSignal,
  onStep?: (step: number, of: number) => void,
): Promise<Outcome> {
  const where = hostLabel(session);
  try {
    if (mode === 'guarded') {
      const how = guardKind(ctx, session);
      if (!how) throw new Error('the rollback guard needs an SSH host or a remote VS Code window: nothing can check this host from outside');
      logPlan(ctx, session, plan, `guarded, rollback in ${seconds} s, confirmed by ${how === 'ssh' ? 'a fresh SSH connection' : 'the VS Code window'}`);
      const executor = session.getExecutor();
      const say = (m: string) => ctx.log.info(`[${session.dest}] guard: ${m}`);
      // The guard's own deadline starts when it arms; this one starts a moment earlier, so the
      // window check never outlives the host's rollback.
      const deadline = Date.now() + seconds * 1000;
      const id = newJournalId();
      const outcome = await whileInFlight(ctx, session.dest, id, () =>
        applyGuarded(executor, plan, {
          id,
          rollbackSeconds: seconds,
          signal,
          freshExecutor: how === 'ssh' ? () => (executor as SshExecutor).freshConnection() : () => windowConfirmedExecutor(executor, deadline, say),
          log: say,
          onStep,
        }),
      );
      const proof = how === 'ssh' ? 'a fresh connection' : 'your VS Code window';
      switch (outcome.kind) {
        case 'confirmed':
          return {
            kind: 'applied',
            message: `${plan.title}: applied on ${where}; ${proof} got through ${outcome.confirmMs} ms later, so the rollback is disarmed.${outcome.notAsPlanned.length ? ' But the host reads back differently from what the plan promised.' : ''}`,
            detail: bullets(outcome.notAsPlanned),
            journal: outcome.id,
          };
        case 'failed':
          return {
            kind: 'failed',
            message: `${plan.title}: step ${outcome.failedStep ?? '?'} failed on ${where}; the steps before it were undone.`,
            detail: outcome.stderr.trim(),
          };
        case 'refused':
          return outcome.busy
            ? { kind: 'refused', message: `${plan.title}: refused, nothing ran: another plan held ${where} too long.`, detail: outcome.stderr.trim() }
            : { kind: 'refused', message: `${plan.title}: refused, nothing ran: ${CHANGED}.`, detail: bullets(outcome.changed) };
        case 'rolled-back':
          return {
            kind: 'rolled-back',
            message: `${plan.title}: the change cut the connection to ${where}; the host rolled itself back after ${seconds} s and is reachable again.`,
            detail: outcome.detail,
          };
        case 'unreachable':
          return { kind: 'unreachable', message: `${plan.title}: ${where} is not reachable: ${outcome.detail}`, detail: '' };
      }
    }
    logPlan(ctx, session, plan, 'no guard');
    const id = newJournalId();
    const r = await whileInFlight(ctx, session.dest, id, () => applyPlan(session.getExecutor(), plan, { signal, onStep, id }));
    const n = plan.steps.length;
    const journal = r.id ?? undefined;
    if (r.ok) {
      const late = signal?.aborted ? ' The cancel came too late: every step had run.' : '';
      const differs = r.notAsPlanned.length ? ' But the host reads back differently from what the plan promised.' : '';
      const waited = r.waitedFor ? ` It waited for another plan on the host first: ${r.waitedFor}.` : '';
      return {
        kind: 'applied',
        message: `${plan.title}: applied on ${where} (${n} step${n === 1 ? '' : 's'} in ${r.durationMs} ms).${waited}${late}${differs}`,
        detail: bullets(r.notAsPlanned),
        journal,
      };
    }
    if (r.changed.length || r.busy) {
      return r.busy
        ? { kind: 'refused', message: `${plan.title}: refused, nothing ran: another plan held ${where} too long.`, detail: r.stderr.trim(), journal }
        : { kind: 'refused', message: `${plan.title}: refused, nothing ran: ${CHANGED}.`, detail: bullets(r.changed), journal };
    }
    if (r.lost) {
      if (r.id) session.noteLostPlan(r.id);
      return {
        kind: 'lost',
        message: `${plan.title}: the connection to ${where} was lost while the plan ran. The host finishes the plan, or undoes every step it did, by itself; VirtNet shows how it ended once it reaches the host again.`,
        detail: r.stderr.trim(),
        journal,
      };
    }
    if (r.cancelled) {
      if (!r.undone) {
        // The host did not confirm its undo: say so loudly, the user must look.
        return {
          kind: 'error',
          message: `${plan.title}: cancelled, but ${where} did not confirm the undo of the steps it had done: check the host.`,
          detail: r.stderr.trim(),
          journal,
        };
      }
      const at = r.cancelledAtStep ?? 1;
      return {
        kind: 'cancelled',
        message:
          at <= 1
            ? `${plan.title}: cancelled before any step ran; nothing changed.`
            : `${plan.title}: cancelled at step ${at} of ${n}; ${where} undid the ${at - 1} step${at === 2 ? '' : 's'} it had done.`,
        detail: r.stderr.trim(),
        journal,
      };
    }
    return {
      kind: 'failed',
      message: `${plan.title}: step ${r.failedStep || '?'} failed on ${where}; the steps before it were ${r.undone ? 'undone' : 'NOT confirmed undone: check the host'}.`,
      detail: r.stderr.trim(),
      journal,
    };
  } catch (err) {
    // Only a guarded run throws on cancel, and only before anything was sent to the host.
    if (signal?.aborted) return { kind: 'cancelled', message: `${plan.title}: cancelled before anything ran; nothing changed.`, detail: '' };
    return { kind: 'error', message: `${plan.title}: ${oneLineReason(err)}`, detail: err instanceof Error ? err.message : String(err) };
  }
}

/** Logs an outcome and shows it as a message (not awaited: the command settles now). */
export function reportOutcome(ctx: CommandContext, session: HostSession, outcome: Outcome): void {
  const line = `[${session.dest}] ${outcome.kind}: ${outcome.message}${outcome.detail ? `\n${outcome.detail}` : ''}`;
  if (outcome.kind === 'applied' || outcome.kind === 'cancelled') ctx.log.info(line);
  else ctx.log.error(line);
  const text = `VirtNet: ${outcome.message}${outcome.detail ? ` ${firstLines(outcome.detail)}` : ''}`;
  const shown =
    (outcome.kind === 'applied' && !outcome.detail) || outcome.kind === 'cancelled'
      ? vscode.window.showInformationMessage(text)
      : outcome.kind === 'rolled-back' || outcome.kind === 'lost' || outcome.kind === 'applied' || outcome.kind === 'refused'
        ? vscode.window.showWarningMessage(text, 'Show Log')
        : vscode.window.showErrorMessage(text, 'Show Log');
  void Promise.resolve(shown).then((choice) => {
    if (choice === 'Show Log') ctx.log.show(true);
  });
}

/** The first lines of stderr: enough to say what the host said, short enough for a message. */
function firstLines(text: string): string {
  const lines = text.split('\n').filter((l) => l.trim() !== '');
  return lines.slice(0, 3).join(' / ') + (lines.length > 3 ? ' …' : '');
}
