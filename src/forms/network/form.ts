/**
 * The Create Network form as a FormDefinition: its draft, what it draws from the host's model,
 * and its plan through the catalog's network.create. The panel machinery is panel.ts's.
 */
import type * as vscode from 'vscode';
import type { CommandContext } from '../../flow/context';
import type { HostSession } from '../../hosts/session';
import { openFormHosts, openFormPanel, registerFormPanelRestore, type FormDefinition } from '../panel';
import { isDraft, type Draft, type NetworkFormData } from './draft';
import { formData, planDraft } from './plan';

export const NETWORK_FORM_VIEW_TYPE = 'virtnet.networkForm';

export const NETWORK_FORM: FormDefinition<Draft, NetworkFormData> = {
  viewType: NETWORK_FORM_VIEW_TYPE,
  script: 'networkForm.js',
  title: (_mode, host) => `Create Network: ${host}`,
  isDraft,
  data: formData,
  plan: planDraft,
};

/** Opens the Create Network form on `session`. */
export function openNetworkForm(ctx: CommandContext, session: HostSession): Promise<void> {
  return openFormPanel(NETWORK_FORM, ctx, session, {});
}

export function registerNetworkFormRestore(ctx: CommandContext): vscode.Disposable {
  return registerFormPanelRestore(NETWORK_FORM, ctx, 'Create Network form');
}

/** The hosts with an open Create Network form, for tests. */
export function openNetworkForms(): string[] {
  return openFormHosts(NETWORK_FORM_VIEW_TYPE);
}
