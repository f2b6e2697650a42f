/**
 * The bridge form (Create Bridge / Bridge My Uplink) as a FormDefinition: its draft, the lists it
 * draws from, and its plan through the catalog's operations. The panel machinery is panel.ts's.
 */
import type * as vscode from 'vscode';
import { freeInterfaces, linkFacts, uplinkCandidates } from '../../core/model/queries';
import { dhcpClient } from '../../core/ops/dhcp';
import type { CommandContext } from '../../flow/context';
import type { HostSession } from '../../hosts/session';
import { readSettings } from '../../hosts/settings';
import { openFormHosts, openFormPanel, registerFormPanelRestore, type FormDefinition } from '../panel';
import { isDraft, type BridgeFormData, type Draft, type FormMode } from './draft';
import { planDraft } from './plan';

export const BRIDGE_FORM_VIEW_TYPE = 'virtnet.bridgeForm';

export const BRIDGE_FORM: FormDefinition<Draft, BridgeFormData> = {
  viewType: BRIDGE_FORM_VIEW_TYPE,
  script: 'bridgeForm.js',
  title: (mode, host) => `${mode === 'uplink' ? 'Bridge My Uplink' : 'Create Bridge'}: ${host}`,
  isDraft,
  data: (model) => ({
    ports: freeInterfaces(model).map((l) => ({ name: l.name, detail: linkFacts(l) })),
    nics: uplinkCandidates(model).map((l) => ({ name: l.name, detail: linkFacts(l) })),
    taken: model.links.map((l) => l.name),
    // The client the planner would run, so the form never offers one it would refuse.
    dhcpClient: dhcpClient(model),
  }),
  // A new form starts from `virtnet.persistence`: "save" preselects the host's own manager.
  initial: (model) => {
    const manager = model.info.networkManager;
    return readSettings().persistence === 'save' && manager !== 'none' ? { persist: manager } : {};
  },
  plan: planDraft,
};

/** Opens the bridge form on `session` in `mode`, with the NIC a command already knows. */
export function openBridgeForm(ctx: CommandContext, session: HostSession, mode: string, preset: Record<string, string>): Promise<void> {
  return openFormPanel(BRIDGE_FORM, ctx, session, { mode: mode === 'uplink' ? 'uplink' : ('create' as FormMode), ...(preset.nic ? { nic: preset.nic } : {}) });
}

export function registerFormRestore(ctx: CommandContext): vscode.Disposable {
  return registerFormPanelRestore(BRIDGE_FORM, ctx, 'bridge form');
}

/** The hosts with an open bridge form, for tests. */
export function openForms(): string[] {
  return openFormHosts(BRIDGE_FORM_VIEW_TYPE);
}
