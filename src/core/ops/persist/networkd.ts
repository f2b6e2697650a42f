/**
 * systemd-networkd: a .netdev creates the bridge (or tap), a .network configures it, and one
 * .network per port enslaves the port. networkd uses the first .network file, in file-name
 * order, that matches a link, so ours start with 05- to win over the usual 10-/20-/50- files.
 */
import { step, type Step } from '../plan';
import { networkdConflictCheck } from './conflicts';
import type { PersistContext } from './context';
import { HEADER, backupPath, removeFileSteps, stamp, writeFileSteps } from './files';
import type { PersistFile, PersistIntent, PersistResult } from './types';

export const NETWORKD_DIR = '/etc/systemd/network';
const PRIO = '05';

function stem(name: string): string {
  return `${PRIO}-virtnet-${name}`;
}

function path(name: string, ext: 'netdev' | 'network'): string {
  return `${NETWORKD_DIR}/${stem(name)}.${ext}`;
}

/** The per-port file of `port` on `bridge`. */
function portPath(bridge: string, port: string): string {
  return path(`${bridge}-${port}`, 'network');
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
      f(
        path(intent.name, 'network'),
        unit(
          [
            ['Match', [`Name=${intent.name}`]],
            ['Network', [...(intent.bridge ? [`Bridge=${intent.bridge}`] : ['LinkLocalAddressing=no']), 'ConfigureWithoutCarrier=yes']],
          ],
          what,
        ),
      ),
    ];
  }
  if (intent.kind === 'delete-tap') {
    return [path(intent.name, 'netdev'), path(intent.name, 'network'), ...(intent.bridge ? [portPath(intent.bridge, intent.name)] : [])].map((p) => f(p, ''));
  }
  if (intent.kind === 'delete-bridge') {
    return [path(intent.bridge, 'netdev'), path(intent.bridge, 'network'), ...intent.ports.map((p) => portPath(intent.bridge, p))].map((p) => f(p, ''));
  }
  const br = intent.bridge;
  const what = `bridge ${br}${intent.ports.length ? ` with ${intent.ports.join(', ')}` : ''}`;
  const net: string[] = [];
  if (intent.dhcp) net.push('DHCP=ipv4');
  for (const a of intent.addresses) net.push(`Address=${a}`);
  if (intent.gateway) net.push(`Gateway=${intent.gateway}`);
  // Without it the address waits for a port with carrier; the runtime bridge has it at once.
  net.push('ConfigureWithoutCarrier=yes');
  return [
    f(
      path(br, 'netdev'),
      unit(
        [
          ['NetDev', [`Name=${br}`, 'Kind=bridge', ...(intent.mac ? [`MACAddress=${intent.mac}`] : [])]],
          [
            'Bridge',
            [
              `STP=${intent.stp ? 'yes' : 'no'}`,
              ...(intent.forwardDelay !== undefined ? [`ForwardDelaySec=${intent.forwardDelay}`] : []),
              ...(intent.vlanFiltering ? ['VLANFiltering=yes'] : []),
            ],
          ],
        ],
        what,
      ),
    ),
    f(
      path(br, 'network'),
      unit(
        [
          ['Match', [`Name=${br}`]],
          ['Network', net],
        ],
        what,
      ),
    ),
    ...intent.ports.map((p) =>
      f(
        portPath(br, p),
        unit(
          [
            ['Match', [`Name=${p}`]],
            ['Network', [`Bridge=${br}`]],
          ],
          `port ${p} of bridge ${br}`,
        ),
      ),
    ),
  ];
}

export function persistNetworkd(intent: PersistIntent, ctx: PersistContext): PersistResult {
  const ts = stamp(ctx.now);
  const files = filesOf(intent);
  const steps: Step[] = [];
  const warnings: string[] = [];
  const checks: Step[] = [];
  let written: PersistFile[] = [];
  let removes: string[] = [];
  if (intent.kind === 'delete-bridge' || intent.kind === 'delete-tap') {
    removes = files.map((f) => f.path);
  } else {
    written = files;
    const name = intent.kind === 'tap' ? intent.name : intent.bridge;
    checks.push(networkdConflictCheck(stem(name), intent.kind === 'tap' ? [intent.name] : [name, ...intent.ports]));
    // A rewritten bridge loses the per-port files of the ports it no longer has.
    if (intent.kind === 'bridge') removes = (intent.rewrite?.dropPorts ?? []).filter((p) => !intent.ports.includes(p)).map((p) => portPath(intent.bridge, p));
  }
  for (const f of written) steps.push(...writeFileSteps(f, backupPath(f.path, ts)));
  for (const p of removes) steps.push(...removeFileSteps(p, backupPath(p, ts)));
  if (ctx.running) {
    // networkd re-reads its files and adopts the links the runtime plan already made.
    steps.push(
      step(['networkctl', 'reload'], 'have systemd-networkd re-read its configuration', null, { kind: 'config', touchesConnection: ctx.touchesConnection }),
    );
  } else {
    warnings.push('systemd-networkd is not running: the files take effect at the next boot only if systemd-networkd is enabled');
  }
  if (intent.kind === 'bridge' && intent.ports.length) {
    warnings.push(`networkd uses the first matching .network file: one sorting before ${PRIO}-virtnet-* that matches ${intent.ports.join(', ')} would win`);
  }
  return { backend: 'networkd', checks, steps, files: written, removes, warnings };
}
