/**
 * One change, planned the one way the CLI, the VS Code commands and the forms all share: an
 * operation of the catalog with its arguments, planned from the host's model, saved through the
 * chosen backend (or runtime only, which the plan then says), tied to the host it was made for.
 */
import type { HostModel } from '../model/types';
import type { Args, Operation } from './catalog/types';
import type { Fact } from './facts';
import { PlanInputError, type Plan } from './plan';
import { planWithSave, type PersistBackend, type PersistFile } from './persist/index';

export interface Change {
  op: Operation;
  args: Args;
  backend: PersistBackend;
  /** When it was planned: it stamps the backups, so planning again at apply gives the same plan. */
  now: Date;
  plan: Plan;
  /** Files the plan writes, exactly, and files it removes: the preview lists them. */
  files: PersistFile[];
  removes: string[];
}

/** The host a plan is for: checked on the host first, so a plan never runs anywhere else. */
export function hostFact(model: HostModel): Fact {
  return { fact: 'host', hostname: model.info.hostname, machineId: model.info.machineId };
}

/** Plans `op` on `model`; throws PlanInputError with every problem when it cannot. */
export function planChange(model: HostModel, op: Operation, args: Args, backend: PersistBackend, now = new Date()): Change {
  const planned = op.plan(model, args);
  let saved: { plan: Plan; files: PersistFile[]; removes: string[] };
  if (planned.persist) {
    saved = planWithSave(model, planned.plan, planned.persist, backend, { now });
  } else if (backend !== 'none') {
    throw new PlanInputError([`"${op.id}" keeps its own configuration (nothing is saved through a network manager): leave --persist out`]);
  } else {
    // Not a network-manager change (libvirt keeps its own definitions): no "runtime only" note.
    saved = { plan: planned.plan, files: [], removes: [] };
  }
  const plan = { ...saved.plan, before: [hostFact(model), ...saved.plan.before] };
  return { op, args, backend, now, plan, files: saved.files, removes: saved.removes };
}
