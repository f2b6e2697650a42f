/**
 * Runtime only, or also saved so it survives a reboot: through the network manager the host
 * actually uses (the inventory detects it), never another one. `virtnet.persistence` decides
 * whether to ask (the default), to keep changes runtime only, or to always save them.
 */
import * as vscode from 'vscode';
import type { HostModel } from '../core/model/types';
import { backendLabel, type PersistBackend } from '../core/ops/persist/index';
import { readSettings } from '../hosts/settings';
import { Cancelled } from './context';

/** The choices the host allows: runtime only, and its own manager when one was detected. */
export function persistenceChoices(model: HostModel): { value: PersistBackend; label: string }[] {
  const m = model.info.networkManager;
  return [
    { value: 'none', label: 'Runtime only (lost at the next reboot)' },
    ...(m !== 'none' ? [{ value: m, label: `Also save it with ${backendLabel(m)} (detected on ${model.info.hostname})` }] : []),
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
    { title: `${what}: keep it after a reboot?`, placeHolder: `${model.info.hostname}'s network is managed by ${backendLabel(detected)}` },
  );
  if (!picked) throw new Cancelled();
  return picked.value;
}
