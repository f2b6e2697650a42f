/**
 * The VS Code commands of the operation catalog, registered from it: each finds its host and the
 * arguments a tree node supplies, asks for the rest through one picker per argument kind, then
 * runs the one change flow; a form command opens its form instead.
 */
import type { Args, ArgValue, OpCommand, Operation } from '../core/ops/catalog/types';
import { catalogCommands } from '../core/ops/catalog/index';
import { askArg, coerceArg } from '../flow/args';
import type { CommandContext } from '../flow/context';
import { formOpener } from '../flow/forms';
import { resolveHost } from '../flow/hosts';
import { currentModel, runChangeFlow } from '../flow/planFlow';
import { VirtNetNode } from '../views/nodes/base';
import type { CommandSpec } from './wrapper';

/** The command's title without its ellipsis, for pickers and messages. */
const plainTitle = (c: OpCommand) => c.title.replace(/\.\.\.$/, '');

/**
 * Runs `command` of `op`. Arguments: a tree node or a host (`dest`), then either one object of
 * named arguments or the values of the command's `ask` list in order (for scripts and tests).
 */
export async function runOpCommand(ctx: CommandContext, op: Operation, command: OpCommand, target: unknown, rest: unknown[]): Promise<unknown> {
  const session = await resolveHost(ctx, target, `${plainTitle(command)}: on which host?`, (s) => s.state.kind !== 'error' || s.model !== undefined);
  const node = target instanceof VirtNetNode ? target : undefined;
  const supplied = node?.argValues() ?? {};
  const model = await currentModel(ctx, session);
  const args: Record<string, ArgValue | undefined> = { ...(command.preset ?? {}) };
  // Arguments settled by someone: the preset, the node, the caller. Only the others are asked.
  const decided = new Set(Object.keys(args));
  const set = (name: string, v: unknown) => {
    const spec = op.args.find((a) => a.name === name)!;
    args[name] = coerceArg(model, spec, v, args);
    decided.add(name);
  };
  // What the node supplies, by kind (a port node: the bridge and the port); a tap made on a
  // bridge node joins that bridge.
  for (const spec of op.args) {
    const v = supplied[spec.kind] ?? (spec.kind === 'optionalBridge' ? supplied.bridge : undefined);
    if (!decided.has(spec.name) && v !== undefined) set(spec.name, v);
  }
  // From a tree menu VS Code passes the node and then the selected nodes: those are no values.
  const isValue = (v: unknown) => ['string', 'number', 'boolean'].includes(typeof v) || (Array.isArray(v) && v.every((x) => typeof x === 'string'));
  const firstNonValue = rest.findIndex((v) => !isValue(v));
  const values = firstNonValue < 0 ? rest : rest.slice(0, firstNonValue);
  const named =
    rest.length === 1 && typeof rest[0] === 'object' && rest[0] !== null && !Array.isArray(rest[0]) && !(rest[0] instanceof VirtNetNode)
      ? (rest[0] as Record<string, unknown>)
      : undefined;
  if (command.form && !named) {
    const preset: Record<string, string> = {};
    if (supplied.uplinkNic) preset.nic = supplied.uplinkNic;
    else if (typeof rest[0] === 'string') preset.nic = rest[0];
    return formOpener(command.form.id)(ctx, session, command.form.mode, preset);
  }
  if (named) {
    for (const spec of op.args) if (spec.name in named) set(spec.name, named[spec.name]);
  } else {
    // Positional values fill the asked arguments still open, in order.
    command.ask.filter((n) => !decided.has(n)).forEach((name, i) => i < values.length && set(name, values[i]));
  }
  // From the palette (or a node supplying only some): ask for the rest, by kind.
  for (const name of command.ask) {
    if (decided.has(name)) continue;
    const spec = op.args.find((a) => a.name === name)!;
    if (spec.relevant && !spec.relevant(args)) continue;
    args[name] = await askArg(model, op, spec, args, plainTitle(command));
  }
  const target1 = args[op.args[0]!.name];
  const what = `${plainTitle(command)}${typeof target1 === 'string' && target1 ? ` ${target1}` : ''}`;
  return runChangeFlow(ctx, session, op, args as Args, what);
}

/** One table entry per catalog command. */
export function catalogCommandSpecs(): CommandSpec[] {
  return catalogCommands().map(({ op, command }) => ({ id: command.id, run: (ctx, target, ...rest) => runOpCommand(ctx, op, command, target, rest) }));
}
