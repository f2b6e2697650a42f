/**
 * `virtnet bridge ...` and `virtnet tap ...`: read the host, plan, show the plan, confirm, apply
 * in one round trip. Exit: 0 applied (or printed with --dry-run); 2 input refused, nothing ran;
 * 1 failed (the steps done were undone).
 */
import { createInterface } from 'node:readline/promises';
import { parseArgs } from 'node:util';
import { collectInventory } from '../core/collect/collect';
import { executorFor } from '../core/exec/index';
import { shJoin } from '../core/exec/quote';
import type { HostModel } from '../core/model/types';
import { applyPlan } from '../core/ops/apply';
import { planAddPort, planCreateBridge, planCreateTap, planDeleteBridge, planDeleteTap, planRemovePort, planSetStp } from '../core/ops/bridge';
import { applyGuarded, automaticRollbackSeconds } from '../core/ops/guard';
import { confirmedExecutor } from '../core/ops/confirmed';
import { keepOnEnter } from './keep';
import { PlanInputError, planToScript, type Plan } from '../core/ops/plan';
import { isPersistBackend, planWithSave, PERSIST_BACKENDS, type PersistFile, type PersistOp } from '../core/ops/persist/index';
import { planAddresses } from '../core/ops/address';
import { planUplink } from '../core/ops/uplink';
import { SshExecutor } from '../core/exec/ssh';
import type { Executor } from '../core/exec/types';
import { stderrLog, UsageError } from './common';
import { askPasswordOnTty } from './password';

/**
 * The runtime plan, and the operation as persistence sees it: turned into what to save only
 * when --persist asks for it (an edit of an existing bridge reads the bridge's whole state).
 */
interface Planned {
  plan: Plan;
  persist: PersistOp;
}

type Planner = (model: HostModel, positionals: string[], flags: Flags) => Planned;

interface Flags {
  add?: string[];
  del?: string[];
  clear?: boolean;
  dhcp?: boolean;
  address?: string;
  gateway?: string;
  stp?: string;
  port?: string[];
  bridge?: string;
  force?: boolean;
  'forward-delay'?: string;
}

function want(positionals: string[], n: number, usage: string): string[] {
  if (positionals.length !== n) {
    throw new UsageError(`usage: virtnet ${usage}`);
  }
  return positionals;
}

function onOff(v: string | undefined, usage: string): boolean {
  if (v !== 'on' && v !== 'off') {
    throw new UsageError(`expected "on" or "off": virtnet ${usage}`);
  }
  return v === 'on';
}

export const PLANNERS: Record<string, Planner> = {
  'bridge create': (m, p, f) => {
    const [name] = want(p, 1, 'bridge create <name> [--stp on|off] [--forward-delay S] [--port <ifname>]...');
    const delay = f['forward-delay'] === undefined ? undefined : Number(f['forward-delay']);
    const intent = { name: name!, stp: f.stp === undefined ? false : onOff(f.stp, 'bridge create <name> --stp on|off'), forwardDelay: delay, ports: f.port ?? [] };
    return { plan: planCreateBridge(m, intent), persist: { op: 'create-bridge', intent } };
  },
  'bridge add-port': (m, p) => {
    const [bridge, port] = want(p, 2, 'bridge add-port <bridge> <ifname>');
    return { plan: planAddPort(m, bridge!, port!), persist: { op: 'add-port', bridge: bridge!, port: port! } };
  },
  'bridge remove-port': (m, p) => {
    const [bridge, port] = want(p, 2, 'bridge remove-port <bridge> <ifname>');
    return { plan: planRemovePort(m, bridge!, port!), persist: { op: 'remove-port', bridge: bridge!, port: port! } };
  },
  'bridge stp': (m, p) => {
    const [bridge, state] = want(p, 2, 'bridge stp <bridge> on|off');
    const on = onOff(state, 'bridge stp <bridge> on|off');
    return { plan: planSetStp(m, bridge!, on), persist: { op: 'stp', bridge: bridge!, on } };
  },
  'bridge delete': (m, p, f) => {
    const [bridge] = want(p, 1, 'bridge delete <bridge> [--force]');
    return { plan: planDeleteBridge(m, bridge!, f.force === true), persist: { op: 'delete-bridge', bridge: bridge! } };
  },
  'bridge uplink': (m, p, f) => {
    const usage = 'bridge uplink <nic> --bridge <name> (--dhcp | --address <cidr> [--gateway <ip>]) [--stp on|off] [--forward-delay S] [--rollback-seconds N]';
    const [nic] = want(p, 1, usage);
    if (!f.bridge) throw new UsageError(`--bridge is required: virtnet ${usage}`);
    const delay = f['forward-delay'] === undefined ? undefined : Number(f['forward-delay']);
    const intent = { nic: nic!, bridge: f.bridge, stp: f.stp === undefined ? false : onOff(f.stp, usage), forwardDelay: delay, dhcp: f.dhcp, address: f.address, gateway: f.gateway };
    return { plan: planUplink(m, intent), persist: { op: 'uplink', intent } };
  },
  'bridge address': (m, p, f) => {
    const [ifname] = want(p, 1, 'bridge address <bridge> [--add <cidr>]... [--del <cidr>]... [--clear] [--dhcp]');
    const intent = { ifname: ifname!, add: f.add ?? [], remove: f.del ?? [], clear: f.clear, dhcp: f.dhcp };
    return { plan: planAddresses(m, intent), persist: { op: 'address', intent } };
  },
  'tap create': (m, p, f) => {
    const [name] = want(p, 1, 'tap create <name> [--bridge <bridge>]');
    return { plan: planCreateTap(m, name!, f.bridge), persist: { op: 'create-tap', name: name!, ...(f.bridge ? { bridge: f.bridge } : {}) } };
  },
  'tap delete': (m, p) => {
    const [name] = want(p, 1, 'tap delete <name>');
    return { plan: planDeleteTap(m, name!), persist: { op: 'delete-tap', name: name! } };
  },
};

function defaultRollbackSeconds(values: { stp?: string; 'forward-delay'?: string; dhcp?: boolean }): number {
  return automaticRollbackSeconds({ stp: values.stp === 'on', forwardDelay: values['forward-delay'] === undefined ? undefined : Number(values['forward-delay']), dhcp: values.dhcp });
}

/** Exit 0 confirmed; 1 a step failed (undone) or the host stayed unreachable; 3 rolled back. */
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
    log: (m) => process.stderr.write(`virtnet: ${m}\n`),
  });
  switch (outcome.kind) {
    case 'confirmed':
      process.stderr.write(`virtnet: applied in ${outcome.applyMs} ms; ${ssh ? 'a fresh connection got through' : 'you confirmed'} ${outcome.confirmMs} ms later, so the rollback is disarmed\n`);
      return 0;
    case 'failed':
      process.stderr.write(`virtnet: step ${outcome.failedStep} failed; the steps before it were undone:\n${outcome.stderr}`);
      return 1;
    case 'rolled-back':
      process.stderr.write(`virtnet: the change cut the connection; the host rolled itself back after ${rollbackSeconds} s and is reachable again${outcome.detail ? `:\n${outcome.detail}` : ''}\n`);
      return 3;
    case 'unreachable':
      process.stderr.write(`virtnet: ${outcome.detail}\n`);
      return 1;
  }
}

export function renderPlan(plan: Plan, files: readonly PersistFile[] = []): string {
  const lines = [`Plan: ${plan.title}`];
  plan.steps.forEach((s, i) => {
    // Quoted as the host's shell will receive it, so the preview is exactly what runs.
    lines.push(`  ${i + 1}. ${s.why}`, `     $ ${shJoin(s.argv)}`);
    if (s.undo) lines.push(`     undo: ${shJoin(s.undo)}`);
  });
  for (const w of plan.warnings) lines.push(`  warning: ${w}`);
  // The preview shows every file exactly as it will be written.
  for (const f of files) {
    lines.push(`  file ${f.path} (mode ${f.mode}):`, ...f.contents.replace(/\n$/, '').split('\n').map((l) => `    | ${l}`));
  }
  return `${lines.join('\n')}\n`;
}

async function confirm(question: string): Promise<boolean> {
  if (!process.stdin.isTTY) {
    return false;
  }
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    return /^y(es)?$/i.test((await rl.question(question)).trim());
  } finally {
    rl.close();
  }
}

export async function runPlanCommand(key: string, args: string[]): Promise<number> {
  const planner = PLANNERS[key];
  if (!planner) {
    throw new UsageError(`unknown command "${key}"`);
  }
  const { values, positionals } = parseArgs({
    args,
    options: {
      host: { type: 'string' },
      'ssh-config': { type: 'string' },
      'dry-run': { type: 'boolean', default: false },
      yes: { type: 'boolean', default: false },
      verbose: { type: 'boolean', default: false },
      script: { type: 'boolean', default: false },
      persist: { type: 'string', default: 'none' },
      stp: { type: 'string' },
      'forward-delay': { type: 'string' },
      port: { type: 'string', multiple: true },
      bridge: { type: 'string' },
      force: { type: 'boolean', default: false },
      dhcp: { type: 'boolean', default: false },
      add: { type: 'string', multiple: true },
      del: { type: 'string', multiple: true },
      clear: { type: 'boolean', default: false },
      address: { type: 'string' },
      gateway: { type: 'string' },
      'rollback-seconds': { type: 'string' },
      'no-guard': { type: 'boolean', default: false },
    },
    allowPositionals: true,
    strict: true,
  });
  const backend = values.persist ?? 'none';
  if (!isPersistBackend(backend)) {
    throw new UsageError(`--persist must be one of ${PERSIST_BACKENDS.join(', ')}, not "${backend}"`);
  }
  const executor = executorFor(values.host, { configFile: values['ssh-config'], log: values.verbose ? stderrLog : undefined, askPassword: askPasswordOnTty });
  try {
    const model = await collectInventory(executor);
    let plan: Plan;
    let files: PersistFile[] = [];
    try {
      const planned = planner(model, positionals, values as Flags);
      ({ plan, files } = planWithSave(model, planned.plan, planned.persist, backend));
    } catch (err) {
      if (err instanceof PlanInputError) {
        process.stderr.write(`virtnet: refused, nothing ran:\n${err.problems.map((p) => `  - ${p}`).join('\n')}\n`);
        return 2;
      }
      throw err;
    }
    process.stdout.write(values.script ? planToScript(plan) : renderPlan(plan, files));
    if (values['dry-run']) {
      return 0;
    }
    const guarded = plan.steps.some((s) => s.touchesConnection) && !values['no-guard'];
    const rollbackSeconds = values['rollback-seconds'] === undefined ? defaultRollbackSeconds(values) : Number(values['rollback-seconds']);
    if (!Number.isInteger(rollbackSeconds) || rollbackSeconds < 5 || rollbackSeconds > 3600) {
      throw new UsageError(`--rollback-seconds must be a whole number from 5 to 3600, not "${values['rollback-seconds']}"`);
    }
    const local = !(executor instanceof SshExecutor);
    if (guarded && local && !process.stdin.isTTY) {
      process.stderr.write('virtnet: refused, nothing ran: this plan touches the interface carrying your SSH session, and without a terminal nobody can confirm the session survived; run it in a terminal, from another machine with --host, or add --no-guard\n');
      return 2;
    }
    if (guarded) {
      process.stderr.write(
        `virtnet: this plan touches the path of the connection: a rollback in ${rollbackSeconds} s is armed first, and ${local ? 'you must press Enter in this terminal (over the same session) to keep the change' : 'a fresh connection must confirm the host is still reachable'}\n`,
      );
    }
    if (!values.yes && !(await confirm('Apply this plan? [y/N] '))) {
      process.stderr.write(`virtnet: not applied${process.stdin.isTTY ? '' : ' (no terminal to confirm on: add --yes)'}\n`);
      return 2;
    }
    if (guarded) {
      return await runGuarded(executor, plan, rollbackSeconds);
    }
    const result = await applyPlan(executor, plan);
    if (result.ok) {
      process.stderr.write(`virtnet: applied ${plan.steps.length} steps in ${result.durationMs} ms\n`);
      return 0;
    }
    process.stderr.write(`virtnet: step ${result.failedStep} failed; the steps before it were undone:\n${result.stderr}`);
    return 1;
  } finally {
    await executor.dispose();
  }
}
