/** Every VirtNet command, in one table; package.json contributes exactly these ids. */
import { addHost, removeHost } from './hostList';
import { copyInventory, showReadiness } from './inventory';
import { openXml } from './openXml';
import { refreshAll, refreshOne } from './refresh';
import type { CommandSpec } from './wrapper';

export const COMMANDS: readonly CommandSpec[] = [
  { id: 'virtnet.refresh', run: (ctx) => refreshAll(ctx) },
  { id: 'virtnet.refreshHost', run: (ctx, arg) => refreshOne(ctx, arg) },
  { id: 'virtnet.addHost', run: (ctx, arg) => addHost(ctx, arg) },
  { id: 'virtnet.removeHost', run: (ctx, arg) => removeHost(ctx, arg) },
  { id: 'virtnet.showLog', run: (ctx) => ctx.log.show(true) },
  { id: 'virtnet.copyInventory', run: (ctx, arg) => copyInventory(ctx, arg) },
  { id: 'virtnet.showReadiness', run: (ctx, arg) => showReadiness(ctx, arg) },
  { id: 'virtnet.openXml', run: (ctx, arg) => openXml(ctx, arg) },
];
