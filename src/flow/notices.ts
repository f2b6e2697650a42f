/**
 * What became of plans nobody saw end (their window reloaded, their connection dropped): after
 * each read of a host, each such plan is reported once, as a notification with Show Details.
 */
import * as vscode from 'vscode';
import type { PlanRecord } from '../core/model/types';
import { outcomeText, recordIsBad, recordLine } from '../core/ops/journal';
import type { HostSession } from '../hosts/session';
import type { CommandContext } from './context';
import { hostLabel } from './hosts';

function details(session: HostSession, r: PlanRecord): string {
  return [
    `Plan: ${r.title}`,
    `Host: ${hostLabel(session)}`,
    `Journal: /run/virtnet/journal/${r.id}`,
    `Started: ${r.started ?? 'unknown'}${r.by ? ` from ${r.by}` : ''}${r.user ? ` as ${r.user}` : ''}`,
    `Steps: ${r.steps}${r.guarded ? ' (guarded)' : ''}`,
    `Outcome: ${outcomeText(r)}`,
    ...(r.changed.length ? ['', 'What had changed on the host:', ...r.changed.map((c) => `  - ${c}`)] : []),
    ...(r.notAsPlanned.length ? ['', 'Where the host read back differently:', ...r.notAsPlanned.map((c) => `  - ${c}`)] : []),
    '',
    `virtnet journal --host ${session.dest} lists the plans of the last week.`,
  ].join('\n');
}

/** Hosts with a plan still running when last read: read again shortly, to learn how it ends. */
const followUp = new WeakMap<HostSession, NodeJS.Timeout>();
const FOLLOW_UP_MS = 5000;

/**
 * After each read: reports the plans nobody saw end, and when a plan is still running on the host
 * (another window's, or this window's before a reload), reads the host again a little later, so
 * its outcome is shown without the user asking.
 */
export function afterRead(ctx: CommandContext, session: HostSession): void {
  reportUnseenPlans(ctx, session);
  if (followUp.has(session) || !session.model?.plans.some((p) => p.state === 'running')) return;
  followUp.set(
    session,
    setTimeout(() => {
      followUp.delete(session);
      // Only while the host is still one of ours (the settings may have dropped it).
      if (ctx.registry.find(session.dest) === session) void ctx.refreshHost(session);
    }, FOLLOW_UP_MS),
  );
}

export function reportUnseenPlans(ctx: CommandContext, session: HostSession): void {
  const { records, neverArrived } = session.takeUnseenPlans();
  for (const r of records) {
    const line = `${hostLabel(session)}: ${recordLine(r)}`;
    ctx.log.info(`[${session.dest}] plan outcome from another session: ${line}`);
    const show = recordIsBad(r) ? vscode.window.showWarningMessage : vscode.window.showInformationMessage;
    void Promise.resolve(show(`VirtNet: ${line}`, 'Show Details')).then(async (choice) => {
      if (choice !== 'Show Details') return;
      const doc = await vscode.workspace.openTextDocument({ content: details(session, r), language: 'plaintext' });
      await vscode.window.showTextDocument(doc, { preview: true });
    });
  }
  for (const id of neverArrived) {
    ctx.log.info(`[${session.dest}] the plan of journal ${id} never reached the host: nothing of it ran`);
    void vscode.window.showInformationMessage(
      `VirtNet: ${hostLabel(session)} has no record of the plan whose connection was lost (journal ${id}): it never reached the host, and nothing of it ran.`,
    );
  }
}
