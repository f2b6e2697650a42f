/**
 * The applier: the whole plan goes to the host as one script in one round trip. On the first
 * failing step the script undoes the steps already done, newest first, so the host ends either
 * fully changed or as it was.
 */
import type { Executor } from '../exec/types';
import { planToScript, type Plan } from './plan';

export interface ApplyResult {
  ok: boolean;
  /** 1-based number of the step that failed, or null. */
  failedStep: number | null;
  /** What the host said (the failing command's stderr and the undo report). */
  stderr: string;
  durationMs: number;
}

export async function applyPlan(executor: Executor, plan: Plan, options: { signal?: AbortSignal; timeoutMs?: number } = {}): Promise<ApplyResult> {
  if (plan.steps.length === 0) {
    return { ok: true, failedStep: null, stderr: '', durationMs: 0 };
  }
  const root = plan.steps.some((s) => s.root);
  const r = await executor.run(['sh', '-c', planToScript(plan), 'virtnet-plan'], {
    root,
    allowFailure: true,
    signal: options.signal,
    timeoutMs: options.timeoutMs ?? 120_000,
    label: `virtnet plan: ${plan.title} (${plan.steps.length} steps)`,
  });
  // Transport and sudo failures throw (nothing ran); a failing step is a result.
  const m = /virtnet: step (\d+) failed/.exec(r.stderr);
  return { ok: r.exitCode === 0, failedStep: m ? Number(m[1]) : r.exitCode === 0 ? null : 0, stderr: r.stderr, durationMs: r.durationMs };
}
