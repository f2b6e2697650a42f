/**
 * Every VirtNet command, in one table: the view commands here, and the operation catalog's
 * (catalog.ts). package.json contributes exactly these ids; a unit test holds them to it.
 */
import { addHost, removeHost } from './hostList';
import { catalogCommandSpecs } from './catalog';
import { copyFromNode } from './copy';
import { copyInventory, showReadiness } from './inventory';
import { openXml } from './openXml';
import { refreshAll, refreshOne } from './refresh';
import { VIEW_COMMANDS } from './viewCommands';
import { newVmCmdline } from './vmCmdline';
import type { CommandSpec } from './wrapper';

const HANDLERS: Record<string, CommandSpec['run']> = {
  'virtnet.refresh': (ctx) => refreshAll(ctx),
  'virtnet.refreshHost': (ctx, arg) => refreshOne(ctx, arg),
  'virtnet.addHost': (ctx, arg) => addHost(ctx, arg),
  'virtnet.removeHost': (ctx, arg) => removeHost(ctx, arg),
  'virtnet.showLog': (ctx) => ctx.log.show(true),
  'virtnet.copyInventory': (ctx, arg) => copyInventory(ctx, arg),
  'virtnet.showReadiness': (ctx, arg) => showReadiness(ctx, arg),
  'virtnet.openXml': (ctx, arg) => openXml(ctx, arg),
  'virtnet.copyIp': (ctx, arg) => copyFromNode(ctx, arg, 'ip'),
  'virtnet.copyMac': (ctx, arg) => copyFromNode(ctx, arg, 'mac'),
  'virtnet.newVmCmdline': (ctx, arg) => newVmCmdline(ctx, arg),
};

export function commandTable(): CommandSpec[] {
  const view = VIEW_COMMANDS.map((c) => {
    const run = HANDLERS[c.id];
    if (!run) throw new Error(`no handler for ${c.id}`);
    return { id: c.id, run };
  });
  return [...view, ...catalogCommandSpecs()];
}
