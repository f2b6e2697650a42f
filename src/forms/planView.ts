/** A planned change as the forms' preview shows it: the same steps, files and warnings. */
import { shJoin } from '../core/exec/quote';
import type { Change } from '../core/ops/change';
import { PlanInputError, touchesConnection } from '../core/ops/plan';
import type { PlanResult, PlanView } from './protocol';

export function planView(change: Pick<Change, 'plan' | 'files' | 'removes'>): PlanView {
  const { plan } = change;
  return {
    title: plan.title,
    steps: plan.steps.map((s) => ({
      why: s.why,
      display: s.display,
      command: shJoin(s.argv),
      undo: s.undo ? shJoin(s.undo) : null,
      kind: s.kind,
      touchesConnection: s.touchesConnection,
      document: s.document ?? null,
    })),
    warnings: plan.warnings,
    touchesConnection: touchesConnection(plan),
    files: change.files.map((f) => ({ path: f.path, mode: f.mode, contents: f.contents })),
    removes: [...change.removes],
  };
}

/** The preview of whatever `plan()` makes, or the problems when it refuses. */
export function planResultOf(plan: () => Pick<Change, 'plan' | 'files' | 'removes'>): PlanResult {
  try {
    return { ok: true, plan: planView(plan()) };
  } catch (err) {
    if (err instanceof PlanInputError) return { ok: false, problems: err.problems };
    throw err;
  }
}
