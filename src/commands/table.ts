/** Every VirtNet command, in one table; package.json contributes exactly these ids. */
import { addPort, createTap, deleteBridge, deleteTap, openForm, removePort, setStp } from './bridgeOps';
import { addAddress, dhcpAddress, removeAddress } from './addressOps';
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
  { id: 'virtnet.createBridge', run: (ctx, arg) => openForm(ctx, 'create', arg) },
  { id: 'virtnet.bridgeUplink', run: (ctx, arg, nic) => openForm(ctx, 'uplink', arg, nic) },
  { id: 'virtnet.addPort', run: (ctx, ...args) => addPort(ctx, ...args) },
  { id: 'virtnet.removePort', run: (ctx, ...args) => removePort(ctx, ...args) },
  { id: 'virtnet.stpOn', run: (ctx, ...args) => setStp(ctx, true, ...args) },
  { id: 'virtnet.stpOff', run: (ctx, ...args) => setStp(ctx, false, ...args) },
  { id: 'virtnet.deleteBridge', run: (ctx, ...args) => deleteBridge(ctx, ...args) },
  { id: 'virtnet.addAddress', run: (ctx, ...args) => addAddress(ctx, ...args) },
  { id: 'virtnet.removeAddress', run: (ctx, ...args) => removeAddress(ctx, ...args) },
  { id: 'virtnet.dhcpAddress', run: (ctx, ...args) => dhcpAddress(ctx, ...args) },
  { id: 'virtnet.createTap', run: (ctx, ...args) => createTap(ctx, ...args) },
  { id: 'virtnet.deleteTap', run: (ctx, ...args) => deleteTap(ctx, ...args) },
];
