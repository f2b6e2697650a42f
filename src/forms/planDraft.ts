/**
 * A form draft becomes a real plan through the same planners the commands and the CLI use, so
 * the preview in the form is exactly what Apply runs.
 */
import { shJoin } from '../core/exec/quote';
import type { HostModel } from '../core/model/types';
import { planCreateBridge } from '../core/ops/bridge';
import { PlanInputError, type Plan } from '../core/ops/plan';
import { planUplink } from '../core/ops/uplink';
import { planWithSave, type PersistOp, type SavedPlan } from '../core/ops/persist/index';
import { fieldProblems, forwardDelayOf } from './checks';
import type { Draft, PlanResult, PlanView } from './protocol';

/**
 * The plan of a draft, with the files it saves when the draft asks to persist; `now` stamps the
 * backups (the preview's, reused on Apply, so both are the same plan). Throws PlanInputError
 * listing every problem when it cannot be planned.
 */
export function planDraft(model: HostModel, draft: Draft, now: Date): SavedPlan {
  const taken = model.links.map((l) => l.name);
  // The form's own checks first: they catch text the planners would misread (e.g. "3x" seconds).
  const own = Object.values(fieldProblems(draft, taken));
  if (own.length) throw new PlanInputError(own);
  const forwardDelay = forwardDelayOf(draft);
  let plan: Plan;
  let op: PersistOp;
  if (draft.mode === 'create') {
    const intent = { name: draft.bridge, stp: draft.stp, forwardDelay, ports: draft.ports };
    plan = planCreateBridge(model, intent);
    op = { op: 'create-bridge', intent };
  } else {
    const isStatic = draft.addressing === 'static';
    const intent = {
      nic: draft.nic,
      bridge: draft.bridge,
      stp: draft.stp,
      forwardDelay,
      dhcp: !isStatic,
      address: isStatic ? draft.address.trim() : undefined,
      gateway: isStatic && draft.gateway.trim() !== '' ? draft.gateway.trim() : undefined,
    };
    plan = planUplink(model, intent);
    op = { op: 'uplink', intent };
  }
  return planWithSave(model, plan, op, draft.persist, { now });
}

export function planView(saved: SavedPlan): PlanView {
  const { plan } = saved;
  return {
    title: plan.title,
    steps: plan.steps.map((s) => ({ why: s.why, command: shJoin(s.argv), undo: s.undo ? shJoin(s.undo) : null, touchesConnection: s.touchesConnection })),
    warnings: plan.warnings,
    touchesConnection: plan.steps.some((s) => s.touchesConnection),
    files: saved.files.map((f) => ({ path: f.path, mode: f.mode, contents: f.contents })),
    removes: [...saved.removes],
  };
}

export function planResult(model: HostModel, draft: Draft, now: Date): PlanResult {
  try {
    return { ok: true, plan: planView(planDraft(model, draft, now)) };
  } catch (err) {
    if (err instanceof PlanInputError) return { ok: false, problems: err.problems };
    throw err;
  }
}
