/**
 * `virtnet <area> <word> ...` and `virtnet apply FILE`: read the host, plan, show the plan,
 * confirm, apply in one round trip (guarded on the connection's path).
 * Exit: 0 applied (or printed with --dry-run / --script / --save-plan); 1 failed (what ran was
 * undone); 2 input refused or bad usage, nothing ran; 3 applied, but the connection was lost and
 * the host rolled itself back; 4 the host changed since the plan was made (or is another host),
 * nothing ran; 5 the host stayed busy with another plan, nothing ran; 6 the connection was lost
 * while the plan ran: the host finishes or undoes it by itself, and the next command reports how.
 */
import { writeFileSync } from 'node:fs';
import { createInterface } from 'node:readline/promises';
import { collectInventory } from '../core/collect/collect';
import { executorFor } from '../core/exec/index';
import { SshExecutor } from '../core/exec/ssh';
import type { Executor } from '../core/exec/types';
import type { HostModel } from '../core/model/types';
import { applyPlan } from '../core/ops/apply';
import type { Operation } from '../core/ops/catalog/index';
import { planChange, type Change } from '../core/ops/change';
import { confirmedExecutor } from '../core/ops/confirmed';
import { applyGuarded } from '../core/ops/guard';
import { recordLine } from '../core/ops/journal';
import { isPersistBackend, PERSIST_BACKENDS } from '../core/ops/persist/index';
import { PlanInputError, planToScript, touchesConnection, type Plan } from '../core/ops/plan';
import { toPlanFile } from '../core/ops/savedPlan';
import { rollbackSecondsFor } from '../core/ops/settle';
import { stderrLog, UsageError } from './common';
import { keepOnEnter } from './keep';
import { parseChange, type CommonValues } from './options';
import { askPasswordOnTty } from './password';
import { renderPlan } from './render';

export const EXIT = { applied: 0, failed: 1, refused: 2, rolledBack: 3, changed: 4, busy: 5, lost: 6 } as const;

const say = (m: string) => process.stderr.write(`virtnet: ${m}\n`);

export function openExecutor(common: CommonValues): Executor {
  const host = typeof common.host === 'string' ? common.host : undefined;
  try {
    return executorFor(host, {
      configFile: typeof common['ssh-config'] === 'string' ? common['ssh-config'] : undefined,
      log: common.verbose ? stderrLog : undefined,
      askPassword: askPasswordOnTty,
    });
  } catch (err) {
    // An invalid destination is bad usage, as in `inventory`.
    throw new UsageError((err as Error).message);
  }
}

/** Reads the host and says, once, what became of plans whose own client never learnt it. */
export async function readHost(executor: Executor): Promise<HostModel> {
  const model = await collectInventory(executor);
  reportClaimed(model);
  return model;
}

export function reportClaimed(model: HostModel): void {
  for (const r of model.plans.filter((p) => p.claimed)) {
    say(`from an earlier session: ${recordLine(r)} (virtnet journal --host ${model.host} shows it)`);
  }
}

async function confirm(question: string): Promise<boolean> {
  if (!process.stdin.isTTY) return false;
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    return /^y(es)?$/i.test((await rl.question(question)).trim());
  } finally {
    rl.close();
  }
}

function refused(problems: readonly string[]): number {
  say(`refused, nothing ran:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  return EXIT.refused;
}

export async function runChange(op: Operation, argv: string[]): Promise<number> {
  const { args, common } = parseChange(op, argv);
  const backend = typeof common.persist === 'string' ? common.persist : 'none';
  if (!isPersistBackend(backend)) throw new UsageError(`--persist must be one of ${PERSIST_BACKENDS.join(', ')}, not "${backend}"`);
  const executor = openExecutor(common);
  try {
    const model = await readHost(executor);
    let change: Change;
    try {
      change = planChange(model, op, args, backend);
    } catch (err) {
      if (err instanceof PlanInputError) return refused(err.problems);
      throw err;
    }
    return await showAndApply(executor, model, change, common);
  } finally {
    await executor.dispose();
  }
}

/** Prints the plan, then saves it, or asks and applies it. */
export async function showAndApply(executor: Executor, model: HostModel, change: Change, common: CommonValues): Promise<number> {
  const { plan } = change;
  process.stdout.write(common.script ? planToScript(plan) : renderPlan(plan, change.files, change.removes, common.verbose === true));
  if (typeof common['save-plan'] === 'string') {
    writeFileSync(common['save-plan'], `${JSON.stringify(toPlanFile(model, change), null, 2)}\n`, { mode: 0o600 });
    say(`plan saved to ${common['save-plan']}; nothing ran (apply it with: virtnet apply ${common['save-plan']})`);
    return EXIT.applied;
  }
  if (common['dry-run'] || common.script) return EXIT.applied;
  const guarded = touchesConnection(plan) && !common['no-guard'];
  const setting = common['rollback-seconds'] === undefined ? undefined : Number(common['rollback-seconds']);
  if (setting !== undefined && (!Number.isInteger(setting) || setting < 5 || setting > 3600)) {
    throw new UsageError(`--rollback-seconds must be a whole number from 5 to 3600, not "${String(common['rollback-seconds'])}"`);
  }
  const rollbackSeconds = rollbackSecondsFor(plan.settle, setting);
  const local = !(executor instanceof SshExecutor);
  if (guarded && local && !process.stdin.isTTY) {
    say(
      'refused, nothing ran: this plan touches the interface carrying your SSH session, and without a terminal nobody can confirm the session survived; run it in a terminal, from another machine with --host, or add --no-guard',
    );
    return EXIT.refused;
  }
  if (guarded) {
    say(
      `this plan touches the path of the connection: a rollback in ${rollbackSeconds} s is armed first, and ${local ? 'you must press Enter in this terminal (over the same session) to keep the change' : 'a fresh connection must confirm the host is still reachable'}`,
    );
  }
  if (!common.yes && !(await confirm('Apply this plan? [y/N] '))) {
    say(`not applied${process.stdin.isTTY ? '' : ' (no terminal to confirm on: add --yes)'}`);
    return EXIT.refused;
  }
  return guarded ? runGuarded(executor, plan, rollbackSeconds) : runPlain(executor, plan);
}

function changedExit(changed: readonly string[], busy: boolean, stderr: string): number {
  if (busy) {
    say(
      `refused, nothing ran: ${
        stderr
          .split('\n')
          .find((l) => l.startsWith('virtnet: busy: '))
          ?.slice(15) ?? 'another plan holds the host'
      }`,
    );
    return EXIT.busy;
  }
  say(`refused, nothing ran: the host changed since the plan was made; read it again and review the plan:\n${changed.map((c) => `  - ${c}`).join('\n')}`);
  return EXIT.changed;
}

function notAsPlanned(lines: readonly string[]): void {
  if (lines.length) say(`but the host reads back differently from what the plan promised:\n${lines.map((c) => `  - ${c}`).join('\n')}`);
}

/** Live progress on a terminal: each step as the host starts it. Scripts get the outcome only. */
function progress(plan: Plan): ((step: number, of: number) => void) | undefined {
  if (!process.stderr.isTTY) return undefined;
  return (step, of) => say(`step ${step} of ${of}: ${plan.steps[step - 1]?.display ?? ''}`);
}

async function runPlain(executor: Executor, plan: Plan): Promise<number> {
  const r = await applyPlan(executor, plan, { onStep: progress(plan) });
  if (r.waitedFor) say(`the host was busy with another plan, ${r.waitedFor}: this one waited for it to end`);
  if (r.ok) {
    say(`applied ${plan.steps.length} steps in ${r.durationMs} ms`);
    notAsPlanned(r.notAsPlanned);
    return EXIT.applied;
  }
  if (r.changed.length || r.busy) return changedExit(r.changed, r.busy, r.stderr);
  if (r.lost) {
    say(
      `the connection was lost while the plan ran: ${r.stderr.trim().split('\n')[0] ?? ''}\nvirtnet: the host finishes the plan, or undoes every step it did, by itself; the next virtnet command on this host (or virtnet journal) reports how it ended`,
    );
    return EXIT.lost;
  }
  say(`step ${r.failedStep} failed; the steps before it were ${r.undone ? 'undone' : 'NOT confirmed undone (look at the host)'}:\n${r.stderr}`);
  return EXIT.failed;
}

/**
 * Applies under the guard. Over SSH a fresh connection confirms; on the host itself (the CLI in
 * a session on it) the user does, by pressing Enter in that session's terminal.
 */
async function runGuarded(executor: Executor, plan: Plan, rollbackSeconds: number): Promise<number> {
  const deadline = Date.now() + rollbackSeconds * 1000;
  const ssh = executor instanceof SshExecutor ? executor : null;
  const outcome = await applyGuarded(executor, plan, {
    rollbackSeconds,
    freshExecutor: ssh ? () => ssh.freshConnection() : () => confirmedExecutor(executor, deadline, keepOnEnter, 'Enter in this terminal'),
    log: say,
    onStep: progress(plan),
  });
  if (outcome.kind !== 'unreachable' && outcome.kind !== 'rolled-back' && outcome.waitedFor)
    say(`the host was busy with another plan, ${outcome.waitedFor}: this one waited for it to end`);
  switch (outcome.kind) {
    case 'confirmed':
      say(
        `applied in ${outcome.applyMs} ms; ${ssh ? 'a fresh connection got through' : 'you confirmed'} ${outcome.confirmMs} ms later, so the rollback is disarmed`,
      );
      notAsPlanned(outcome.notAsPlanned);
      return EXIT.applied;
    case 'failed':
      say(`step ${outcome.failedStep} failed; the steps before it were undone:\n${outcome.stderr}`);
      return EXIT.failed;
    case 'refused':
      return changedExit(outcome.changed, outcome.busy, outcome.stderr);
    case 'rolled-back':
      say(
        `the change cut the connection; the host rolled itself back after ${rollbackSeconds} s and is reachable again${outcome.detail ? `:\n${outcome.detail}` : ''}`,
      );
      return EXIT.rolledBack;
    case 'unreachable':
      say(outcome.detail);
      return EXIT.failed;
  }
}
