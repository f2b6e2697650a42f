/**
 * The CLI's subcommands, generated from the operation catalog: each one's options, positionals,
 * usage line and the parsing of its values by argument kind. A subcommand accepts its own options
 * only and refuses any other by name.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { AREAS, CATALOG, type ArgKind, type ArgSpec, type Args, type ArgValue, type Operation } from '../core/ops/catalog/index';
import { UsageError } from './common';

/** `forwardDelay` → `forward-delay`. */
export function optionName(name: string): string {
  return name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}

/** Options every change takes, with what they do (the usage lists them once). */
export const CHANGE_OPTIONS = {
  host: { type: 'string', help: '--host <dest>', what: 'SSH destination (alias, user@host, ssh://...); without it, this machine' },
  'ssh-config': { type: 'string', help: '--ssh-config <file>', what: 'use this ssh config instead of ~/.ssh/config' },
  verbose: { type: 'boolean', help: '--verbose', what: "show each step's exact command and undo; log every command run" },
  'dry-run': { type: 'boolean', help: '--dry-run', what: 'print the plan, run nothing' },
  yes: { type: 'boolean', help: '--yes', what: 'apply without asking' },
  script: { type: 'boolean', help: '--script', what: 'print the plan as a standalone shell script, run nothing' },
  'save-plan': { type: 'string', help: '--save-plan <file>', what: 'write the plan as JSON for `virtnet apply`, run nothing' },
  persist: { type: 'string', help: '--persist <backend>', what: 'also save it: networkd, ifupdown, netplan, networkmanager (default none)' },
  'rollback-seconds': { type: 'string', help: '--rollback-seconds <n>', what: "the guard's rollback window (default: sized to STP and DHCP)" },
  'no-guard': { type: 'boolean', help: '--no-guard', what: "apply a plan on the connection's path without the guard" },
} as const;

export type ChangeOption = keyof typeof CHANGE_OPTIONS;
export type CommonValues = Partial<Record<ChangeOption, string | boolean>>;

/** The value text a kind takes, for usage: `on|off`, `<seconds>`. */
function valueHint(a: ArgSpec): string {
  if (a.kind === 'onOff') return 'on|off';
  if (a.kind === 'seconds') return '<seconds>';
  if (a.kind === 'linkState') return 'up|down';
  if (a.kind === 'proto') return 'tcp|udp';
  return a.placeholder ?? `<${a.name}>`;
}

const isSwitch = (k: ArgKind) => k === 'flag' || k === 'force' || k === 'restart' || k === 'restartLibvirt';

/** `bridge create <name> [--stp on|off] [--forward-delay <seconds>] [--port <ifname>]...` */
export function usageLine(op: Operation): string {
  const parts = [op.area, op.cli];
  for (const a of op.args) {
    if (a.positional) parts.push(valueHint(a));
  }
  for (const a of op.args) {
    if (a.positional) continue;
    const opt = `--${optionName(a.name)}${isSwitch(a.kind) ? '' : ` ${valueHint(a)}`}`;
    parts.push(a.required ? opt : `[${opt}]${a.multiple ? '...' : ''}`);
  }
  return parts.join(' ');
}

/** `virtnet <area> <word> --help`: the usage line, the summary, each argument, the common options. */
export function operationHelp(op: Operation): string {
  const rows = op.args.map((a) => {
    const name = a.positional ? valueHint(a) : `--${optionName(a.name)}${isSwitch(a.kind) ? '' : ` ${valueHint(a)}`}`;
    return `  ${name.padEnd(24)} ${a.description}`;
  });
  return `virtnet ${usageLine(op)}\n\n${op.summary}.\n\n${rows.join('\n')}\n\nEvery change also takes:\n${changeOptionsUsage()}\n`;
}

export function changesUsage(): string {
  const lines: string[] = [];
  for (const area of AREAS) {
    for (const op of CATALOG.filter((o) => o.area === area)) {
      lines.push(`  ${usageLine(op)}`, `      ${op.summary}`);
    }
  }
  return lines.join('\n');
}

export function changeOptionsUsage(): string {
  return Object.values(CHANGE_OPTIONS)
    .map((o) => `  ${o.help.padEnd(24)} ${o.what}`)
    .join('\n');
}

/** A positional or option value turned into its kind's type; UsageError when it cannot be. */
function valueOf(op: Operation, a: ArgSpec, raw: string): ArgValue {
  switch (a.kind) {
    case 'onOff':
      if (raw !== 'on' && raw !== 'off')
        throw new UsageError(`${a.positional ? a.name : `--${optionName(a.name)}`} takes "on" or "off", not "${raw}": virtnet ${usageLine(op)}`);
      return raw === 'on';
    case 'seconds':
      // Kept as a number even when not whole: the planner says what range it takes.
      if (!/^-?\d+(\.\d+)?$/.test(raw)) throw new UsageError(`--${optionName(a.name)} takes a number of seconds, not "${raw}"`);
      return Number(raw);
    case 'mtu':
      // `default` takes the MTU away (the kernel's 1500); the planner checks the range.
      if (raw === 'default') return 0;
      if (!/^\d+$/.test(raw)) throw new UsageError(`--${optionName(a.name)} takes a whole number or "default", not "${raw}"`);
      return Number(raw);
    case 'definition':
      // The option names a file here; the operation gets its text (`-`: standard input).
      try {
        return readFileSync(raw === '-' ? 0 : raw, 'utf8');
      } catch (e) {
        throw new UsageError(`--${optionName(a.name)}: cannot read ${raw === '-' ? 'standard input' : raw}: ${(e as Error).message}`);
      }
    case 'proto':
      if (raw !== 'tcp' && raw !== 'udp') throw new UsageError(`--${optionName(a.name)} takes "tcp" or "udp", not "${raw}": virtnet ${usageLine(op)}`);
      return raw;
    case 'queues':
      if (!/^\d+$/.test(raw)) throw new UsageError(`--${optionName(a.name)} takes a whole number, not "${raw}"`);
      return Number(raw);
    case 'macvtapMode':
    case 'nicVia':
    case 'moveVia': {
      const allowed =
        a.kind === 'macvtapMode'
          ? ['bridge', 'vepa', 'private', 'passthrough']
          : a.kind === 'nicVia'
            ? ['network', 'bridge', 'direct', 'user', 'passt']
            : ['network', 'bridge'];
      if (!allowed.includes(raw)) throw new UsageError(`--${optionName(a.name)} takes ${allowed.join(', ')}, not "${raw}": virtnet ${usageLine(op)}`);
      return raw;
    }
    case 'linkState':
      if (raw !== 'up' && raw !== 'down') throw new UsageError(`--${optionName(a.name)} takes "up" or "down", not "${raw}": virtnet ${usageLine(op)}`);
      return raw;
    default:
      return raw;
  }
}

export interface ParsedChange {
  args: Args;
  common: CommonValues;
}

/** Parses `virtnet <area> <word> ...` for `op`: its own arguments and the common options. */
export function parseChange(op: Operation, argv: string[]): ParsedChange {
  const own = new Map(op.args.filter((a) => !a.positional).map((a) => [optionName(a.name), a]));
  const allowed = new Set([...Object.keys(CHANGE_OPTIONS), ...own.keys()]);
  // Refuse options of other subcommands by name, before parseArgs says "unknown option".
  const foreign = [...new Set(argv.filter((w) => w.startsWith('--')).map((w) => w.slice(2).split('=')[0]!))].filter((n) => n !== '' && !allowed.has(n));
  if (foreign.length) {
    throw new UsageError(`virtnet ${op.area} ${op.cli} does not take ${foreign.map((n) => `--${n}`).join(', ')}: virtnet ${usageLine(op)}`);
  }
  const options: Record<string, { type: 'string' | 'boolean'; multiple?: boolean }> = {};
  for (const [name, o] of Object.entries(CHANGE_OPTIONS)) options[name] = { type: o.type };
  for (const [name, a] of own) options[name] = { type: isSwitch(a.kind) ? 'boolean' : 'string', ...(a.multiple ? { multiple: true } : {}) };
  const { values, positionals } = parseArgs({ args: argv, options, allowPositionals: true, strict: true });
  const positional = op.args.filter((a) => a.positional);
  if (positionals.length !== positional.length) {
    throw new UsageError(`usage: virtnet ${usageLine(op)}`);
  }
  const args: Record<string, ArgValue> = {};
  positional.forEach((a, i) => (args[a.name] = valueOf(op, a, positionals[i]!)));
  for (const [name, a] of own) {
    const v = values[name];
    if (v === undefined) {
      if (a.required) throw new UsageError(`--${name} is required: virtnet ${usageLine(op)}`);
      continue;
    }
    if (typeof v === 'boolean') args[a.name] = v;
    else if (Array.isArray(v)) args[a.name] = v.map((x) => String(valueOf(op, a, String(x))));
    else args[a.name] = valueOf(op, a, v);
  }
  const common: CommonValues = {};
  for (const name of Object.keys(CHANGE_OPTIONS) as ChangeOption[]) {
    const v = values[name];
    if (typeof v === 'string' || typeof v === 'boolean') common[name] = v;
  }
  return { args, common };
}
