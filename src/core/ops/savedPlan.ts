/**
 * Plans as files (`--save-plan FILE`, then `virtnet apply FILE`), like `terraform plan -out`: a
 * reviewed change goes into a change window unchanged. The file holds the operation and its
 * arguments, the plan as reviewed (steps, undo, the facts it was made from) and the host it is for.
 *
 * Applying it re-reads the host and plans the same operation again with the same time stamp: if
 * the host changed so that the plan would now be different, or is another host, it is refused
 * and nothing runs; otherwise exactly the reviewed commands run (the runner checks the plan's
 * facts once more, on the host, under its lock).
 */
import type { HostModel } from '../model/types';
import { operation } from './catalog/index';
import type { Args, ArgValue } from './catalog/types';
import { planChange, type Change } from './change';
import { factProblems } from './facts';
import { PERSIST_BACKENDS, type PersistBackend } from './persist/types';
import type { Plan, Step } from './plan';
import { shJoin } from '../exec/quote';

export const PLAN_FILE_FORMAT = 'virtnet-plan';
export const PLAN_FILE_VERSION = 1;

export interface PlanFile {
  format: typeof PLAN_FILE_FORMAT;
  version: number;
  createdAt: string;
  /** Where it was made: the destination as given, and the host's own identity. */
  host: { dest: string; hostname: string; machineId: string | null };
  operation: { id: string; args: Args; backend: PersistBackend };
  plan: Plan;
  files: Change['files'];
  removes: string[];
}

export function toPlanFile(model: HostModel, change: Change): PlanFile {
  return {
    format: PLAN_FILE_FORMAT,
    version: PLAN_FILE_VERSION,
    createdAt: change.now.toISOString(),
    host: { dest: model.host, hostname: model.info.hostname, machineId: model.info.machineId },
    operation: { id: change.op.id, args: change.args, backend: change.backend },
    plan: change.plan,
    files: change.files,
    removes: change.removes,
  };
}

/** A plan file that cannot be read as one. */
export class PlanFileError extends Error {}

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isStrs = (v: unknown): v is string[] => Array.isArray(v) && v.every((x) => typeof x === 'string');
const isArgValue = (v: unknown): v is ArgValue => typeof v === 'string' || typeof v === 'boolean' || (typeof v === 'number' && Number.isFinite(v)) || isStrs(v);

function isStep(v: unknown): v is Step {
  return (
    isObj(v) &&
    isStrs(v.argv) &&
    v.argv.length > 0 &&
    typeof v.why === 'string' &&
    (v.undo === null || isStrs(v.undo)) &&
    typeof v.display === 'string' &&
    typeof v.kind === 'string' &&
    typeof v.touchesConnection === 'boolean'
  );
}

/** Reads a plan file strictly; throws PlanFileError saying what is wrong. */
export function parsePlanFile(text: string): PlanFile {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (err) {
    throw new PlanFileError(`not JSON: ${(err as Error).message}`);
  }
  if (!isObj(v) || v.format !== PLAN_FILE_FORMAT) throw new PlanFileError('not a VirtNet plan file (no "format": "virtnet-plan")');
  if (v.version !== PLAN_FILE_VERSION) throw new PlanFileError(`plan file version ${String(v.version)}; this VirtNet reads version ${PLAN_FILE_VERSION}`);
  const h = v.host;
  const o = v.operation;
  const p = v.plan;
  if (!isObj(h) || typeof h.dest !== 'string' || typeof h.hostname !== 'string' || !(h.machineId === null || typeof h.machineId === 'string'))
    throw new PlanFileError('its "host" is malformed');
  if (!isObj(o) || typeof o.id !== 'string' || !isObj(o.args) || !Object.values(o.args).every(isArgValue))
    throw new PlanFileError('its "operation" is malformed');
  if (!operation(o.id)) throw new PlanFileError(`it is for the operation "${o.id}", which this VirtNet does not know`);
  if (typeof o.backend !== 'string' || !(PERSIST_BACKENDS as readonly string[]).includes(o.backend))
    throw new PlanFileError('its "operation.backend" is malformed');
  if (
    !isObj(p) ||
    typeof p.title !== 'string' ||
    !Array.isArray(p.steps) ||
    !p.steps.every(isStep) ||
    !isStrs(p.warnings) ||
    !Array.isArray(p.before) ||
    !Array.isArray(p.after) ||
    !isObj(p.settle)
  )
    throw new PlanFileError('its "plan" is malformed');
  if (typeof v.createdAt !== 'string' || Number.isNaN(Date.parse(v.createdAt))) throw new PlanFileError('its "createdAt" is malformed');
  if (!Array.isArray(v.files) || !isStrs(v.removes)) throw new PlanFileError('its "files" or "removes" are malformed');
  return v as unknown as PlanFile;
}

/** A step as compared between the saved plan and the plan made again now. */
const stepKey = (s: Step) => `${shJoin(s.argv)}\n  undo: ${s.undo ? shJoin(s.undo) : '-'}`;

export type Replanned = { ok: true; change: Change } | { ok: false; problems: string[] };

/**
 * The saved plan against the host as it is now: refused (with what differs) when the host is
 * another one, no longer matches the facts the plan was made from, or would now be planned
 * differently. Otherwise the change to apply: the same commands, with the connection flags of the
 * current session (the guard follows the path this session rides).
 */
export function replan(model: HostModel, file: PlanFile): Replanned {
  const changed = factProblems(model, file.plan.before);
  if (changed.length) return { ok: false, problems: changed };
  const op = operation(file.operation.id)!;
  let change: Change;
  try {
    change = planChange(model, op, file.operation.args, file.operation.backend, new Date(file.createdAt));
  } catch (err) {
    return { ok: false, problems: [`it can no longer be planned: ${(err as Error).message}`] };
  }
  const saved = file.plan.steps.map(stepKey);
  const now = change.plan.steps.map(stepKey);
  const problems: string[] = [];
  for (let i = 0; i < Math.max(saved.length, now.length); i++) {
    if (saved[i] !== now[i]) problems.push(`step ${i + 1} would now be ${now[i] ?? '(none)'}, not ${saved[i] ?? '(none)'}`);
  }
  return problems.length ? { ok: false, problems: ['the plan would now be different:', ...problems] } : { ok: true, change };
}
