/**
 * The applier: the whole plan goes to the host as one script in one round trip. On the first
 * failing step, or when cancelled, the script undoes the steps already done, newest first, so the
 * host ends either fully changed or as it was; the result says which, from what the host said.
 */
import { CommandError } from '../exec/errors';
import type { Executor } from '../exec/types';
import { PLAN_CANCELLED_EXIT, planToScript, type Plan } from './plan';

export interface ApplyResult {
  /** Every step ran. Also true when a cancel came too late to stop anything: the host is changed. */
  ok: boolean;
  /** 1-based number of the step that failed, or null (0: failed, but the host did not say where). */
  failedStep: number | null;
  /** The run was stopped (cancelled) before every step ran. */
  cancelled: boolean;
  /**
   * For a cancelled run: the step that was interrupted or about to start, so steps before it had
   * run (and were undone, see `undone`); 1 when nothing ran; null when the host did not say.
   */
  cancelledAtStep: number | null;
  /**
   * For a failed or cancelled run: the host reported its undo finished, or nothing had run, so it
   * is as it was. false there means the state is unknown (the script was killed or did not
   * answer): look at the host. Always false for an applied run.
   */
  undone: boolean;
  /** What the host said (the failing command's stderr and the undo report). */
  stderr: string;
  durationMs: number;
}

export interface ApplyOptions {
  /**
   * Cancels the apply: the host's script is stopped, undoes the steps it had done, and the result
   * says `cancelled` (or `ok`, when every step had already run).
   */
  signal?: AbortSignal;
  timeoutMs?: number;
}

/** How long a cancelled plan may take to undo its steps before it is killed (state then unknown). */
const UNDO_GRACE_MS = 60_000;

export async function applyPlan(executor: Executor, plan: Plan, options: ApplyOptions = {}): Promise<ApplyResult> {
  const nothing = { failedStep: null, cancelledAtStep: null, undone: false, stderr: '', durationMs: 0 };
  if (plan.steps.length === 0) {
    return { ...nothing, ok: true, cancelled: false };
  }
  if (options.signal?.aborted) {
    return { ...nothing, ok: false, cancelled: true, cancelledAtStep: 1, undone: true };
  }
  const root = plan.steps.some((s) => s.root);
  let r: { exitCode: number | null; stderr: string; durationMs: number };
  let aborted = false;
  try {
    r = await executor.run(['sh', '-c', planToScript(plan), 'virtnet-plan'], {
      root,
      allowFailure: true,
      signal: options.signal,
      cancelGraceMs: UNDO_GRACE_MS,
      timeoutMs: options.timeoutMs ?? 120_000,
      label: `virtnet plan: ${plan.title} (${plan.steps.length} steps)`,
    });
  } catch (err) {
    // Transport and sudo failures throw (nothing ran). A cancel is read like any other end.
    if (!(err instanceof CommandError) || err.kind !== 'cancelled') {
      throw err;
    }
    if (!err.started) {
      return { ...nothing, ok: false, cancelled: true, cancelledAtStep: 1, undone: true, durationMs: err.durationMs };
    }
    r = err;
    aborted = true;
  }
  return readOutcome(r, aborted);
}

/** What the script's exit status and its own lines on stderr say happened (see planToScript). */
function readOutcome(r: { exitCode: number | null; stderr: string; durationMs: number }, aborted: boolean): ApplyResult {
  const base = { stderr: r.stderr, durationMs: r.durationMs };
  if (r.exitCode === 0) {
    return { ...base, ok: true, failedStep: null, cancelled: false, cancelledAtStep: null, undone: false };
  }
  const undone = /^virtnet: undo finished$/m.test(r.stderr);
  const cancelled = /^virtnet: cancelled at step (\d+); undoing$/m.exec(r.stderr);
  if (cancelled && r.exitCode === PLAN_CANCELLED_EXIT) {
    return { ...base, ok: false, failedStep: null, cancelled: true, cancelledAtStep: Number(cancelled[1]), undone };
  }
  const failed = /^virtnet: step (\d+) failed; undoing$/m.exec(r.stderr);
  if (failed && r.exitCode === 1) {
    return { ...base, ok: false, failedStep: Number(failed[1]), cancelled: false, cancelledAtStep: null, undone };
  }
  // Killed, or never got as far as saying anything: the host's state is unknown. If a cancel
  // was asked for, say so; the caller must not claim the steps were undone.
  if (cancelled || aborted) {
    return { ...base, ok: false, failedStep: null, cancelled: true, cancelledAtStep: cancelled ? Number(cancelled[1]) : null, undone: false };
  }
  return { ...base, ok: false, failedStep: 0, cancelled: false, cancelledAtStep: null, undone: false };
}
