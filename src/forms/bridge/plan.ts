/**
 * A bridge form draft becomes a real plan through the catalog's own operations (bridge.create,
 * bridge.uplink) and the one planChange the commands and the CLI use, so the preview in the form
 * is exactly what Apply runs.
 */
import type { HostModel } from '../../core/model/types';
import { operation } from '../../core/ops/catalog/index';
import type { Args } from '../../core/ops/catalog/types';
import { planChange, type Change } from '../../core/ops/change';
import { PlanInputError } from '../../core/ops/plan';
import { planResultOf } from '../planView';
import type { PlanResult } from '../protocol';
import { fieldProblems, forwardDelayOf } from './checks';
import type { Draft } from './draft';

/** The operation and arguments a draft stands for. */
export function draftArgs(draft: Draft): { id: string; args: Args } {
  const forwardDelay = forwardDelayOf(draft);
  if (draft.mode === 'create') {
    return { id: 'bridge.create', args: { name: draft.bridge, stp: draft.stp, forwardDelay, port: draft.ports } };
  }
  const isStatic = draft.addressing === 'static';
  return {
    id: 'bridge.uplink',
    args: {
      nic: draft.nic,
      bridge: draft.bridge,
      stp: draft.stp,
      forwardDelay,
      dhcp: !isStatic,
      address: isStatic ? draft.address.trim() : undefined,
      gateway: isStatic && draft.gateway.trim() !== '' ? draft.gateway.trim() : undefined,
    },
  };
}

/**
 * The plan of a draft, with the files it saves when the draft asks to persist; `now` stamps the
 * backups (the preview's, reused on Apply, so both are the same plan). Throws PlanInputError
 * listing every problem when it cannot be planned.
 */
export function planDraft(model: HostModel, draft: Draft, now: Date): Change {
  const taken = model.links.map((l) => l.name);
  // The form's own checks first: they catch text the planners would misread (e.g. "3x" seconds).
  const own = Object.values(fieldProblems(draft, taken));
  if (own.length) throw new PlanInputError(own);
  const { id, args } = draftArgs(draft);
  return planChange(model, operation(id)!, args, draft.persist, now);
}

export function planResult(model: HostModel, draft: Draft, now: Date): PlanResult {
  return planResultOf(() => planDraft(model, draft, now));
}
