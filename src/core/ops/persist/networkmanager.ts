/**
 * NetworkManager: connection profiles made with nmcli (NM writes the keyfiles itself). Each
 * profile gets a fixed UUID so its undo deletes exactly that profile, even if a profile with
 * the same name exists. The same argv with `nmcli --offline` prints the keyfile without a
 * daemon, which is how the tests check that nmcli accepts every property.
 */
import { step, type Step } from '../plan';
import type { PersistContext } from './context';
import { isV6 } from './context';
import { seededUuid, stamp } from './files';
import type { PersistIntent, PersistResult } from './types';

// Fails when a profile of that name exists: a second one would leave two to choose from at boot.
const CHECK = 'for n in "$@"; do if nmcli connection show id "$n" >/dev/null 2>&1; then echo "virtnet: NetworkManager already has a connection named $n; delete it first (nmcli connection delete id $n)" >&2; exit 1; fi; done';

/** Higher than the default 0, so at boot the port profile wins over the NIC's old profile. */
const PORT_PRIORITY = '10';

export function nmName(bridgeOrTap: string, port?: string): string {
  return port ? `virtnet-${bridgeOrTap}-${port}` : `virtnet-${bridgeOrTap}`;
}

function ipArgs(intent: Extract<PersistIntent, { kind: 'bridge' }>): string[] {
  if (intent.dhcp) return ['ipv4.method', 'auto'];
  if (!intent.address) {
    // A plain bridge for guests: NM must not run DHCP on it; IPv6 stays the kernel's business.
    return ['ipv4.method', 'disabled', 'ipv6.method', 'ignore'];
  }
  const fam = isV6(intent.address) ? 'ipv6' : 'ipv4';
  return [
    ...(fam === 'ipv6' ? ['ipv4.method', 'disabled'] : []),
    `${fam}.method`, 'manual', `${fam}.addresses`, intent.address,
    ...(intent.gateway ? [`${fam}.gateway`, intent.gateway] : []),
  ];
}

export function persistNetworkManager(intent: PersistIntent, ctx: PersistContext): PersistResult {
  const ts = stamp(ctx.now);
  const flags = { persistent: true, touchesConnection: ctx.touchesConnection };
  const add = (name: string, argv: string[], why: string): Step => {
    const uuid = seededUuid(`${name}@${ts}`);
    return step(['nmcli', 'connection', 'add', 'con-name', name, 'connection.uuid', uuid, ...argv], why, ['nmcli', 'connection', 'delete', 'uuid', uuid], flags);
  };
  const check = (names: string[]) => step(['sh', '-c', CHECK, 'virtnet-check', ...names], `check that NetworkManager has no connection named ${names.join(', ')}`, null, { root: false });
  const warnings: string[] = [];

  if (intent.kind === 'delete-bridge') {
    const names = [nmName(intent.bridge), ...intent.ports.map((p) => nmName(intent.bridge, p))];
    // A profile already gone (deleted by hand) is no failure.
    const steps = names.map((n) => step(['sh', '-c', 'if nmcli connection show id "$1" >/dev/null 2>&1; then nmcli connection delete id "$1"; fi', 'virtnet-nm-delete', n], `delete the NetworkManager connection ${n} (if there is one)`, null, flags));
    warnings.push(`deleting NetworkManager connections (${names.join(', ')}) cannot be undone by VirtNet`);
    return { backend: 'networkmanager', steps, files: [], removes: [], warnings };
  }
  if (intent.kind === 'tap') {
    const n = nmName(intent.name);
    const argv = ['type', 'tun', 'ifname', intent.name, 'tun.mode', 'tap', ...(intent.bridge ? ['connection.master', intent.bridge, 'connection.slave-type', 'bridge'] : ['ipv4.method', 'disabled', 'ipv6.method', 'ignore'])];
    return { backend: 'networkmanager', steps: [check([n]), add(n, argv, `NetworkManager connection ${n}: tap ${intent.name}${intent.bridge ? ` on ${intent.bridge}` : ''}`)], files: [], removes: [], warnings };
  }
  const br = intent.bridge;
  const names = [nmName(br), ...intent.ports.map((p) => nmName(br, p))];
  const bridgeArgs = [
    'type', 'bridge', 'ifname', br,
    'bridge.stp', intent.stp ? 'yes' : 'no',
    ...(intent.forwardDelay !== undefined ? ['bridge.forward-delay', String(intent.forwardDelay)] : []),
    ...(intent.mac ? ['bridge.mac-address', intent.mac] : []),
    ...ipArgs(intent),
  ];
  const steps: Step[] = [check(names), add(names[0]!, bridgeArgs, `NetworkManager connection ${names[0]}: bridge ${br}`)];
  intent.ports.forEach((p, i) => {
    const tap = ctx.tapPorts.includes(p);
    const portArgs = [
      'type', tap ? 'tun' : 'ethernet', 'ifname', p, ...(tap ? ['tun.mode', 'tap'] : []),
      'connection.master', br, 'connection.slave-type', 'bridge',
      'connection.autoconnect-priority', PORT_PRIORITY,
    ];
    steps.push(add(names[i + 1]!, portArgs, `NetworkManager connection ${names[i + 1]}: ${p} as a port of ${br}`));
  });
  if (intent.ports.length) {
    warnings.push(`NetworkManager may activate the new connections at once; they match what the runtime plan made. ${intent.ports.join(', ')} keep${intent.ports.length === 1 ? 's' : ''} any older profile, which the port profile outranks at boot (autoconnect-priority ${PORT_PRIORITY}); delete the old one once the bridge works`);
  }
  return { backend: 'networkmanager', steps, files: [], removes: [], warnings };
}
