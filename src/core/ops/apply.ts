/**
 * The applier: the whole plan goes to the host as one script in one round trip, through the
 * runner (runner.ts): under the host lock, after checking the host still is as the plan was made
 * from, detached from the session. On the first failing step, or when cancelled, the script
 * undoes the steps already done, newest first, so the host ends either fully changed or as it
 * was; the result says which, from what the host said.
 */
import { CommandError } from '../exec/errors';
import type { Executor } from '../exec/types';
import { PLAN_CANCELLED_EXIT, readPlanScript, type Plan } from './plan';
import { cancelRunArgv, EXIT_BUSY, EXIT_HOST_CHANGED, findings, newJournalId, runOnHost } from './runner';

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
  /** The host is no longer as the plan was made from: what changed. Nothing ran. */
  changed: string[];
  /** The host stayed busy with another plan (its lock); nothing ran. */
  busy: boolean;
  /** Applied, but the host reads back differently from what the plan promised. */
  notAsPlanned: string[];
  /**
   * The connection was lost (or timed out) while the plan ran: the host finishes or undoes it by
   * itself, and the next contact reports the outcome (journal `id`).
   */
  lost: boolean;
  /** The plan's journal on the host. */
  id: string | null;
  /** Another plan held the host when this one came: which one (it waited for it). */
  waitedFor: string | null;
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
  /** Told each step as the host starts it, while the connection lasts. */
  onStep?: (step: number, of: number) => void;
  /** The journal id to use (a caller that must remember it before the end); a new one by default. */
  id?: string;
}

/** How often a cancel is sent again while the plan has not ended (the run may start only after the first). */
const CANCEL_REPEAT_MS = 2000;

const NOTHING: Omit<ApplyResult, 'ok' | 'cancelled'> = {
  failedStep: null,
  cancelledAtStep: null,
  undone: false,
  changed: [],
  busy: false,
  notAsPlanned: [],
  lost: false,
  id: null,
  waitedFor: null,
  stderr: '',
  durationMs: 0,
};

/** The plan another one waited for, from the run's own line (see runner.ts). */
export function waitedFor(output: string): string | null {
  return /^virtnet: waiting for the host lock: it is held by (.*)$/m.exec(output)?.[1] ?? null;
}

export async function applyPlan(executor: Executor, plan: Plan, options: ApplyOptions = {}): Promise<ApplyResult> {
  if (plan.steps.length === 0) {
    return { ...NOTHING, ok: true, cancelled: false };
  }
  if (options.signal?.aborted) {
    return { ...NOTHING, ok: false, cancelled: true, cancelledAtStep: 1, undone: true };
  }
  let r: { exitCode: number | null; stderr: string; durationMs: number };
  const id = options.id ?? newJournalId();
  // A cancel is a request of its own, naming the journal, repeated until the run has ended: the
  // session that waits for the plan may end for other reasons (a time limit, a lost connection)
  // without stopping the plan, which runs on the host detached from it.
  let done = false;
  let timer: NodeJS.Timeout | undefined;
  const cancel = () => {
    if (done) return;
    void executor.run(cancelRunArgv(id), { root: true, allowFailure: true, timeoutMs: 10_000, label: `cancel plan ${id}` }).catch(() => {});
    timer = setTimeout(cancel, CANCEL_REPEAT_MS);
  };
  options.signal?.addEventListener('abort', cancel, { once: true });
  try {
    r = await runOnHost(executor, plan, { id, timeoutMs: options.timeoutMs ?? 120_000, onStep: options.onStep });
  } catch (err) {
    if (!(err instanceof CommandError)) throw err;
    if ((err.kind === 'unreachable' || err.kind === 'timeout') && err.started !== false) {
      // The session went away with the plan on the host: it carries on there without us.
      return { ...NOTHING, ok: false, cancelled: false, lost: true, id, stderr: err.stderr, durationMs: err.durationMs };
    }
    // Transport and sudo failures before anything started: nothing ran.
    throw err;
  } finally {
    done = true;
    clearTimeout(timer);
    options.signal?.removeEventListener('abort', cancel);
  }
  const aborted = options.signal?.aborted === true;
  return { ...readOutcome(r, aborted), id };
}

/** What the run's exit status and its own lines on stderr say happened (see planToScript, runner). */
export function readOutcome(r: { exitCode: number | null; stderr: string; durationMs: number }, aborted: boolean): ApplyResult {
  const base = { ...NOTHING, stderr: r.stderr, durationMs: r.durationMs, waitedFor: waitedFor(r.stderr) };
  if (r.exitCode === EXIT_HOST_CHANGED) {
    return { ...base, ok: false, cancelled: false, changed: findings(r.stderr, 'changed'), undone: true };
  }
  if (r.exitCode === EXIT_BUSY) {
    return { ...base, ok: false, cancelled: false, busy: true, undone: true };
  }
  const s = readPlanScript(r.exitCode, r.stderr);
  if (r.exitCode === 0) {
    return { ...base, ok: true, cancelled: false, notAsPlanned: findings(r.stderr, 'not as planned') };
  }
  if (s.cancelledAtStep !== null && r.exitCode === PLAN_CANCELLED_EXIT) {
    return { ...base, ok: false, cancelled: true, cancelledAtStep: s.cancelledAtStep, undone: s.undone };
  }
  if (s.failedStep !== null && r.exitCode === 1) {
    return { ...base, ok: false, cancelled: false, failedStep: s.failedStep, undone: s.undone };
  }
  // Killed, or never got as far as saying anything: the host's state is unknown. If a cancel
  // was asked for, say so; the caller must not claim the steps were undone.
  if (s.cancelledAtStep !== null || aborted) {
    return { ...base, ok: false, cancelled: true, cancelledAtStep: s.cancelledAtStep, undone: false };
  }
  return { ...base, ok: false, cancelled: false, failedStep: 0, undone: false };
}
