/**
 * A form draft becomes a real plan through the same planners the commands and the CLI use, so
 * the preview in the form is exactly what Apply runs.
 */
import { shJoin } from '../core/exec/quote';
import type { HostModel } from '../core/model/types';
import { planCreateBridge } from '../core/ops/bridge';
import { PlanInputError, type Plan } from '../core/ops/plan';
import { planUplink } from '../core/ops/uplink';
import { fieldProblems, forwardDelayOf } from './checks';
import type { Draft, PlanResult, PlanView } from './protocol';

/** The plan of a draft; throws PlanInputError listing every problem when it cannot be planned. */
export function planDraft(model: HostModel, draft: Draft): Plan {
  const taken = model.links.map((l) => l.name);
  // The form's own checks first: they catch text the planners would misread (e.g. "3x" seconds).
  const own = Object.values(fieldProblems(draft, taken));
  if (own.length) throw new PlanInputError(own);
  const forwardDelay = forwardDelayOf(draft);
  if (draft.mode === 'create') {
    return planCreateBridge(model, { name: draft.bridge, stp: draft.stp, forwardDelay, ports: draft.ports });
  }
  const isStatic = draft.addressing === 'static';
  return planUplink(model, {
    nic: draft.nic,
    bridge: draft.bridge,
    stp: draft.stp,
    forwardDelay,
    dhcp: !isStatic,
    address: isStatic ? draft.address.trim() : undefined,
    gateway: isStatic && draft.gateway.trim() !== '' ? draft.gateway.trim() : undefined,
  });
}

export function planView(plan: Plan): PlanView {
  return {
    title: plan.title,
    steps: plan.steps.map((s) => ({ why: s.why, command: shJoin(s.argv), undo: s.undo ? shJoin(s.undo) : null, touchesConnection: s.touchesConnection })),
    warnings: plan.warnings,
    touchesConnection: plan.steps.some((s) => s.touchesConnection),
  };
}

export function planResult(model: HostModel, draft: Draft): PlanResult {
  try {
    return { ok: true, plan: planView(planDraft(model, draft)) };
  } catch (err) {
    if (err instanceof PlanInputError) return { ok: false, problems: err.problems };
    throw err;
  }
}
