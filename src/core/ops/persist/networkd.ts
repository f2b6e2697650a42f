/**
 * systemd-networkd: a .netdev creates the bridge (or tap), a .network configures it, and one
 * .network per port enslaves the port. networkd uses the first .network file, in file-name
 * order, that matches a link, so ours start with 05- to win over the usual 10-/20-/50- files.
 */
import { step, type Step } from '../plan';
import type { PersistContext } from './context';
import { HEADER, backupPath, removeFileSteps, stamp, writeFileSteps } from './files';
import type { PersistFile, PersistIntent, PersistResult } from './types';

export const NETWORKD_DIR = '/etc/systemd/network';
const PRIO = '05';

function path(name: string, ext: 'netdev' | 'network'): string {
  return `${NETWORKD_DIR}/${PRIO}-virtnet-${name}.${ext}`;
}

function unit(sections: [string, string[]][], what: string): string {
  const body = sections.filter(([, lines]) => lines.length).map(([s, lines]) => `[${s}]\n${lines.join('\n')}\n`);
  return `# ${HEADER}: ${what}\n${body.join('\n')}`;
}

/** The files for a bridge or a tap; a delete removes the same paths. */
function filesOf(intent: PersistIntent): PersistFile[] {
  const f = (p: string, contents: string): PersistFile => ({ path: p, contents, mode: '644' });
  if (intent.kind === 'tap') {
    const what = `tap ${intent.name}${intent.bridge ? ` on ${intent.bridge}` : ''}`;
    return [
      f(path(intent.name, 'netdev'), unit([['NetDev', [`Name=${intent.name}`, 'Kind=tap']]], what)),
      // A tap has no carrier until QEMU opens it; configure (and enslave) it anyway.
      f(path(intent.name, 'network'), unit([['Match', [`Name=${intent.name}`]], ['Network', [...(intent.bridge ? [`Bridge=${intent.bridge}`] : ['LinkLocalAddressing=no']), 'ConfigureWithoutCarrier=yes']]], what)),
    ];
  }
  if (intent.kind === 'delete-bridge') {
    return [path(intent.bridge, 'netdev'), path(intent.bridge, 'network'), ...intent.ports.map((p) => path(`${intent.bridge}-${p}`, 'network'))].map((p) => f(p, ''));
  }
  const br = intent.bridge;
  const what = `bridge ${br}${intent.ports.length ? ` with ${intent.ports.join(', ')}` : ''}`;
  const net: string[] = [];
  if (intent.dhcp) net.push('DHCP=ipv4');
  if (intent.address) net.push(`Address=${intent.address}`);
  if (intent.gateway) net.push(`Gateway=${intent.gateway}`);
  // Without it the address waits for a port with carrier; the runtime bridge has it at once.
  net.push('ConfigureWithoutCarrier=yes');
  return [
    f(path(br, 'netdev'), unit([
      ['NetDev', [`Name=${br}`, 'Kind=bridge', ...(intent.mac ? [`MACAddress=${intent.mac}`] : [])]],
      ['Bridge', [`STP=${intent.stp ? 'yes' : 'no'}`, ...(intent.forwardDelay !== undefined ? [`ForwardDelaySec=${intent.forwardDelay}`] : [])]],
    ], what)),
    f(path(br, 'network'), unit([['Match', [`Name=${br}`]], ['Network', net]], what)),
    ...intent.ports.map((p) => f(path(`${br}-${p}`, 'network'), unit([['Match', [`Name=${p}`]], ['Network', [`Bridge=${br}`]]], `port ${p} of bridge ${br}`))),
  ];
}

export function persistNetworkd(intent: PersistIntent, ctx: PersistContext): PersistResult {
  const ts = stamp(ctx.now);
  const files = filesOf(intent);
  const steps: Step[] = [];
  const warnings: string[] = [];
  let written: PersistFile[] = [];
  let removes: string[] = [];
  if (intent.kind === 'delete-bridge') {
    removes = files.map((f) => f.path);
    for (const p of removes) steps.push(...removeFileSteps(p, backupPath(p, ts)));
  } else {
    written = files;
    for (const f of written) steps.push(...writeFileSteps(f, backupPath(f.path, ts)));
  }
  if (ctx.running) {
    // networkd re-reads its files and adopts the links the runtime plan already made.
    steps.push(step(['networkctl', 'reload'], 'have systemd-networkd re-read its configuration', null, { persistent: true, touchesConnection: ctx.touchesConnection }));
  } else {
    warnings.push('systemd-networkd is not running: the files take effect at the next boot only if systemd-networkd is enabled');
  }
  if (intent.kind === 'bridge' && intent.ports.length) {
    warnings.push(`networkd uses the first matching .network file: one sorting before ${PRIO}-virtnet-* that matches ${intent.ports.join(', ')} would win`);
  }
  return { backend: 'networkd', steps, files: written, removes, warnings };
}
