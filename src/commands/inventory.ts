/** Copy Inventory as JSON and Show Host Readiness: both read the host's last model. */
import * as vscode from 'vscode';
import { oneLineReason } from '../core/exec/errors';
import type { HostModel } from '../core/model/types';
import type { HostSession } from '../hosts/session';
import { checkTitle } from '../views/nodes/readiness';
import type { CommandContext } from '../flow/context';
import { hostLabel, resolveHost } from '../flow/hosts';

/** The host's model, reading it first when it was never read; a failed read is the error. */
async function modelOf(ctx: CommandContext, session: HostSession): Promise<HostModel> {
  if (session.state.kind === 'idle' || session.state.kind === 'loading') await ctx.refreshHost(session);
  if (session.model) return session.model;
  const state = session.state;
  throw new Error(state.kind === 'error' ? oneLineReason(state.error) : `${session.dest}: no inventory yet`);
}

export async function copyInventory(ctx: CommandContext, arg?: unknown): Promise<void> {
  const session = await resolveHost(ctx, arg, 'Copy the inventory of which host?');
  const model = await modelOf(ctx, session);
  await vscode.env.clipboard.writeText(JSON.stringify(model, null, 2));
  vscode.window.setStatusBarMessage(`VirtNet: inventory of ${hostLabel(session)} copied`, 3000);
}

export function readinessMarkdown(label: string, model: HostModel): string {
  const lines = [`# Host readiness: ${label}`, '', `Read ${model.collectedAt}${model.info.root ? ' as root' : ' without root'}.`, ''];
  const failed = model.checks.filter((c) => !c.ok);
  lines.push(failed.length === 0 ? 'Every check passed.' : `${failed.length} of ${model.checks.length} checks need attention.`, '');
  lines.push('| | Check | What was found, and the fix |', '|---|---|---|');
  for (const c of [...failed, ...model.checks.filter((x) => x.ok)]) {
    lines.push(`| ${c.ok ? '✔' : '✘'} | ${checkTitle(c.id)} | ${c.detail.replace(/\|/g, '\\|')} |`);
  }
  if (model.info.nicModels.length > 0) {
    lines.push('', `NIC models this host's QEMU offers: ${model.info.nicModels.join(', ')}.`);
  }
  return `${lines.join('\n')}\n`;
}

export async function showReadiness(ctx: CommandContext, arg?: unknown): Promise<vscode.TextDocument> {
  const session = await resolveHost(ctx, arg, 'Show the readiness of which host?');
  const model = await modelOf(ctx, session);
  const doc = await vscode.workspace.openTextDocument({ language: 'markdown', content: readinessMarkdown(hostLabel(session), model) });
  await vscode.window.showTextDocument(doc, { preview: true });
  return doc;
}
