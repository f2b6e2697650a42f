/**
 * The modal every change goes through (STYLE 11): it lists the plan's steps, the commands as the
 * host's shell receives them, and its warnings; the user applies it, copies it as a script, or
 * walks away. Plans on the connection's path get the guard choice.
 */
import * as vscode from 'vscode';
import { prefixLines } from '../core/lines';
import { shJoin } from '../core/exec/quote';
import { planToScript, touchesConnection, type Plan } from '../core/ops/plan';
import type { PersistFile } from '../core/ops/persist/index';
import type { HostSession } from '../hosts/session';
import { Cancelled, type CommandContext } from './context';
import { canGuard, guardKind, type ApplyMode } from './execute';
import { hostLabel } from './hosts';

export const APPLY = 'Apply';
export const APPLY_GUARDED = 'Apply with rollback guard';
export const APPLY_ANYWAY = 'Apply anyway (no guard)';
export const COPY_SCRIPT = 'Copy as Script';
export const SHOW_SCRIPT = 'Show Exact Commands';

/** Files a plan writes (exact contents) and removes: the preview shows them in full. */
export interface PlanFiles {
  files?: readonly PersistFile[];
  removes?: readonly string[];
}

/**
 * The plan as the modal's detail text: numbered steps in their short form (`$ command` when the
 * short form is the exact command; the scripts behind the others are one click away, Show Exact
 * Commands or Copy as Script) with the documents they hand over, every file it writes with its
 * exact contents, every file it removes, then the warnings.
 */
export function planDetail(plan: Plan, saved: PlanFiles = {}): string {
  const lines: string[] = [];
  plan.steps.forEach((s, i) => {
    const exact = s.display === shJoin(s.argv);
    lines.push(`${i + 1}. ${s.why}${s.touchesConnection ? "  [on the connection's path]" : ''}`, exact ? `    $ ${s.display}` : `    ▹ ${s.display}`);
    // The document the step hands over (a network's XML, a definition's diff), whole.
    if (s.document) lines.push(`    ${s.document.label}:`, ...prefixLines(s.document.text, '      '));
  });
  for (const f of saved.files ?? []) {
    lines.push('', `▸ ${f.path} (mode ${f.mode}), written exactly as:`, ...prefixLines(f.contents, '    '));
  }
  for (const r of saved.removes ?? []) lines.push('', `▸ ${r} is removed (backed up first)`);
  if (plan.warnings.length) lines.push('');
  for (const w of plan.warnings) lines.push(`⚠ ${w}`);
  return lines.join('\n');
}

function guardNote(ctx: CommandContext, session: HostSession, seconds: number): string {
  switch (guardKind(ctx, session)) {
    case 'ssh':
      return `This plan changes the interface or route that carries the connection to the host. With the guard, a rollback in ${seconds} s is armed on the host first, and a fresh connection must confirm the host is still reachable before it is disarmed.`;
    case 'window':
      return `This plan changes the interface or route that carries your VS Code window's connection to this host (${ctx.registry.place.how}). With the guard, a rollback in ${seconds} s is armed on the host first, and your window must still reach the host (VS Code reconnects by itself if the old connection broke) before it is disarmed.`;
    default:
      return 'WARNING: this plan changes the interface or route that carries the connection to this host, and nothing here can check it from outside: no rollback guard is possible. If the change cuts the connection, you must repair the host from its console.';
  }
}

/**
 * Asks to apply `plan` on `session`. Resolves the chosen mode; "Copy as Script" copies and
 * resolves undefined; dismissing throws Cancelled (the wrapper ignores it).
 */
export async function confirmPlan(
  ctx: CommandContext,
  session: HostSession,
  plan: Plan,
  seconds: number,
  options: { skipIfSafe?: boolean } & PlanFiles = {},
): Promise<ApplyMode | undefined> {
  const touches = touchesConnection(plan);
  if (options.skipIfSafe && !touches) return 'plain';
  const buttons = !touches ? [APPLY] : canGuard(ctx, session) ? [APPLY_GUARDED, APPLY_ANYWAY] : [APPLY_ANYWAY];
  const detail = [planDetail(plan, options), ...(touches ? ['', guardNote(ctx, session, seconds)] : [])].join('\n');
  // A test seam too: the extension-host suite answers this modal by stubbing showWarningMessage.
  const scripted = plan.steps.some((s) => s.display !== shJoin(s.argv));
  const choice = await vscode.window.showWarningMessage(
    `${plan.title} on ${hostLabel(session)}?`,
    { modal: true, detail },
    ...buttons,
    COPY_SCRIPT,
    ...(scripted ? [SHOW_SCRIPT] : []),
  );
  switch (choice) {
    case SHOW_SCRIPT: {
      // The exact script beside the modal, which comes back to be answered.
      const doc = await vscode.workspace.openTextDocument({ content: planToScript(plan), language: 'shellscript' });
      await vscode.window.showTextDocument(doc, { preview: true, preserveFocus: true });
      return confirmPlan(ctx, session, plan, seconds, options);
    }
    case APPLY:
    case APPLY_ANYWAY:
      return 'plain';
    case APPLY_GUARDED:
      return 'guarded';
    case COPY_SCRIPT:
      await vscode.env.clipboard.writeText(planToScript(plan));
      ctx.log.info(`[${session.dest}] copied "${plan.title}" as a script; nothing ran`);
      void vscode.window.showInformationMessage(`VirtNet: "${plan.title}" copied as a shell script; nothing ran.`);
      return undefined;
    default:
      throw new Cancelled();
  }
}
