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
import type { CommandLog } from '../core/exec/types';
import type { HostModel } from '../core/model/types';
import { applyPlan } from '../core/ops/apply';
import { planAddPort, planCreateBridge, planCreateTap, planDeleteBridge, planDeleteTap, planRemovePort, planSetStp } from '../core/ops/bridge';
import { PlanInputError, planToScript, type Plan } from '../core/ops/plan';
import { askPasswordOnTty } from './password';

export class UsageError extends Error {}

const stderrLog: CommandLog = {
  info: (m) => process.stderr.write(`virtnet: ${m}\n`),
  debug: () => {},
  error: (m) => process.stderr.write(`virtnet: ${m}\n`),
};

type Planner = (model: HostModel, positionals: string[], flags: Flags) => Plan;

interface Flags {
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
    return planCreateBridge(m, { name: name!, stp: f.stp === undefined ? false : onOff(f.stp, 'bridge create <name> --stp on|off'), forwardDelay: delay, ports: f.port ?? [] });
  },
  'bridge add-port': (m, p) => {
    const [bridge, port] = want(p, 2, 'bridge add-port <bridge> <ifname>');
    return planAddPort(m, bridge!, port!);
  },
  'bridge remove-port': (m, p) => {
    const [bridge, port] = want(p, 2, 'bridge remove-port <bridge> <ifname>');
    return planRemovePort(m, bridge!, port!);
  },
  'bridge stp': (m, p) => {
    const [bridge, state] = want(p, 2, 'bridge stp <bridge> on|off');
    return planSetStp(m, bridge!, onOff(state, 'bridge stp <bridge> on|off'));
  },
  'bridge delete': (m, p, f) => {
    const [bridge] = want(p, 1, 'bridge delete <bridge> [--force]');
    return planDeleteBridge(m, bridge!, f.force === true);
  },
  'tap create': (m, p, f) => {
    const [name] = want(p, 1, 'tap create <name> [--bridge <bridge>]');
    return planCreateTap(m, name!, f.bridge);
  },
  'tap delete': (m, p) => {
    const [name] = want(p, 1, 'tap delete <name>');
    return planDeleteTap(m, name!);
  },
};

export function renderPlan(plan: Plan): string {
  const lines = [`Plan: ${plan.title}`];
  plan.steps.forEach((s, i) => {
    // Quoted as the host's shell will receive it, so the preview is exactly what runs.
    lines.push(`  ${i + 1}. ${s.why}`, `     $ ${shJoin(s.argv)}`);
    if (s.undo) lines.push(`     undo: ${shJoin(s.undo)}`);
  });
  for (const w of plan.warnings) lines.push(`  warning: ${w}`);
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
    },
    allowPositionals: true,
    strict: true,
  });
  if (values.persist !== 'none') {
    // Said plainly rather than silently ignored: persistence backends are not built yet.
    throw new UsageError(`--persist ${values.persist} is not supported yet; only runtime changes (--persist none)`);
  }
  const executor = executorFor(values.host, { configFile: values['ssh-config'], log: values.verbose ? stderrLog : undefined, askPassword: askPasswordOnTty });
  try {
    const model = await collectInventory(executor);
    let plan: Plan;
    try {
      plan = planner(model, positionals, values as Flags);
    } catch (err) {
      if (err instanceof PlanInputError) {
        process.stderr.write(`virtnet: refused, nothing ran:\n${err.problems.map((p) => `  - ${p}`).join('\n')}\n`);
        return 2;
      }
      throw err;
    }
    process.stdout.write(values.script ? planToScript(plan) : renderPlan(plan));
    if (values['dry-run']) {
      return 0;
    }
    if (plan.steps.some((s) => s.touchesConnection)) {
      process.stderr.write('virtnet: refused, nothing ran: this plan touches the interface or route that may carry the connection, and the connectivity guard (automatic rollback) is not built yet\n');
      return 2;
    }
    if (!values.yes && !(await confirm('Apply this plan? [y/N] '))) {
      process.stderr.write(`virtnet: not applied${process.stdin.isTTY ? '' : ' (no terminal to confirm on: add --yes)'}\n`);
      return 2;
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
