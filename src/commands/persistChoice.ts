/**
 * Runtime only, or also saved so it survives a reboot: through the network manager the host
 * actually uses (the inventory detects it), never another one. `virtnet.persistence` decides
 * whether to ask (the default), to keep changes runtime only, or to always save them.
 */
import * as vscode from 'vscode';
import type { HostModel } from '../core/model/types';
import type { Plan } from '../core/ops/plan';
import { persistIntentFor, persistSteps, withPersistence, type PersistBackend, type PersistFile, type PersistOp } from '../core/ops/persist/index';
import { readSettings } from '../hosts/settings';
import { Cancelled } from './context';

export const MANAGER_LABEL: Record<PersistBackend, string> = {
  none: 'runtime only',
  networkmanager: 'NetworkManager',
  networkd: 'systemd-networkd',
  ifupdown: 'ifupdown',
  netplan: 'netplan',
};

/** A plan with its saved configuration: what the preview lists beside the steps. */
export interface SavedPlan {
  plan: Plan;
  files: PersistFile[];
  removes: string[];
}

/** The choices the host allows: runtime only, and its own manager when one was detected. */
export function persistenceChoices(model: HostModel): { value: PersistBackend; label: string }[] {
  const m = model.info.networkManager;
  return [
    { value: 'none', label: 'Runtime only (lost at the next reboot)' },
    ...(m !== 'none' ? [{ value: m, label: `Also save it with ${MANAGER_LABEL[m]} (detected on ${model.info.hostname})` }] : []),
  ];
}

/** Asks (or reads the setting) how the change should be kept. */
export async function choosePersistence(model: HostModel, what: string): Promise<PersistBackend> {
  const detected = model.info.networkManager;
  if (detected === 'none') return 'none';
  const mode = readSettings().persistence;
  if (mode === 'runtime') return 'none';
  if (mode === 'save') return detected;
  const picked = await vscode.window.showQuickPick(
    persistenceChoices(model).map((c) => ({ label: c.label, value: c.value })),
    { title: `${what}: keep it after a reboot?`, placeHolder: `${model.info.hostname}'s network is managed by ${MANAGER_LABEL[detected]}` },
  );
  if (!picked) throw new Cancelled();
  return picked.value;
}

/**
 * `plan` followed by the steps that save `op` through `backend`, with the exact files. `now`
 * stamps the backups; the caller keeps it so that a re-plan before apply is the same plan.
 * Throws PlanInputError when the change cannot be saved that way (the reasons listed).
 */
export function withSave(model: HostModel, plan: Plan, op: PersistOp, backend: PersistBackend, now: Date): SavedPlan {
  const saved = persistSteps(model, persistIntentFor(model, op), backend, { now });
  return { plan: withPersistence(plan, saved), files: saved.files, removes: saved.removes };
}
