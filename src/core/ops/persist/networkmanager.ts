/**
 * NetworkManager: connection profiles made with nmcli (NM writes the keyfiles itself). Each
 * profile gets a fixed UUID so its undo deletes exactly that profile, even if a profile with
 * the same name exists. The same argv with `nmcli --offline` prints the keyfile without a
 * daemon, which is how the tests check that nmcli accepts every property.
 */
import { step, type Step } from '../plan';
import { nmConflictCheck } from './conflicts';
import type { PersistContext } from './context';
import { isV6 } from './context';
import { seededUuid, stamp } from './files';
import type { PersistIntent, PersistResult } from './types';

// Fails when a profile of that name exists: a second one would leave two to choose from at boot.
const CHECK =
  'for n in "$@"; do if nmcli connection show id "$n" >/dev/null 2>&1; then echo "virtnet: NetworkManager already has a connection named $n; delete it first (nmcli connection delete id $n)" >&2; exit 1; fi; done';

/** Higher than the default 0, so at boot the port profile wins over the NIC's old profile. */
const PORT_PRIORITY = '10';

export function nmName(bridgeOrTap: string, port?: string): string {
  return port ? `virtnet-${bridgeOrTap}-${port}` : `virtnet-${bridgeOrTap}`;
}

/** Where a profile's keyfile is kept before VirtNet modifies or deletes it (NM reads none of it). */
export const NM_BACKUP_DIR = '/var/lib/virtnet/nm-backup';

/**
 * Copies the profile's file (keyfile or ifcfg, wherever NM keeps it) and notes its path; no
 * profile of that name, nothing saved. $1 name, $2 backup file.
 */
const SAVE = [
  'f=$(nmcli -g NAME,FILENAME connection show | awk -v n="$1" \'index($0, n ":") == 1 { print substr($0, length(n) + 2); exit }\')',
  '[ -n "$f" ] || exit 0',
  'mkdir -p -m 700 "${2%/*}" && cp -a "$f" "$2" && printf "%s\\n" "$f" > "$2.path"',
].join('\n');

/** Modifies the profile when it exists, else adds it with a fixed UUID. $1 name, $2 uuid, $3 type, then properties. */
const UPSERT = [
  'n=$1 u=$2 t=$3; shift 3',
  'if nmcli connection show id "$n" >/dev/null 2>&1; then nmcli connection modify id "$n" "$@"',
  'else nmcli connection add con-name "$n" connection.uuid "$u" type "$t" "$@"; fi',
].join('\n');

/**
 * Undo of SAVE + UPSERT or DELETE: the saved file goes back and NM re-reads it; nothing saved
 * means the profile was added, so it is deleted by its UUID ($2, empty after a delete).
 */
const RESTORE = [
  'if [ -e "$1.path" ]; then f=$(cat "$1.path"); cp -a "$1" "$f" && nmcli connection load "$f"',
  'elif [ -n "$2" ]; then nmcli connection delete uuid "$2" >/dev/null 2>&1 || true; fi',
].join('\n');

// A profile already gone (deleted by hand) is no failure.
const DELETE = 'if nmcli connection show id "$1" >/dev/null 2>&1; then nmcli connection delete id "$1"; fi';

function ipArgs(intent: Extract<PersistIntent, { kind: 'bridge' }>, full: boolean): string[] {
  const v4 = intent.addresses.filter((a) => !isV6(a));
  const v6 = intent.addresses.filter(isV6);
  // NM refuses a gateway without an address of its family.
  const gw = (six: boolean, list: string[]) => (intent.gateway && isV6(intent.gateway) === six && list.length ? intent.gateway : '');
  const v4method = intent.dhcp ? 'auto' : v4.length ? 'manual' : 'disabled';
  // No address at all: a plain bridge for guests, whose IPv6 stays the kernel's business.
  const v6method = v6.length ? 'manual' : v4.length || intent.dhcp ? 'auto' : 'ignore';
  if (full) {
    // Every property, set or emptied: a modified profile keeps nothing of its old addresses.
    return [
      'ipv4.method',
      v4method,
      'ipv4.addresses',
      v4.join(','),
      'ipv4.gateway',
      gw(false, v4),
      'ipv6.method',
      v6method,
      'ipv6.addresses',
      v6.join(','),
      'ipv6.gateway',
      gw(true, v6),
    ];
  }
  // A new profile: only what differs from NM's defaults.
  const args: string[] = [];
  args.push('ipv4.method', v4method);
  if (v4.length) args.push('ipv4.addresses', v4.join(','));
  if (gw(false, v4)) args.push('ipv4.gateway', gw(false, v4));
  if (v6method !== 'auto') args.push('ipv6.method', v6method);
  if (v6.length) args.push('ipv6.addresses', v6.join(','));
  if (gw(true, v6)) args.push('ipv6.gateway', gw(true, v6));
  return args;
}

export function persistNetworkManager(intent: PersistIntent, ctx: PersistContext): PersistResult {
  const ts = stamp(ctx.now);
  const flags = { kind: 'config' as const, touchesConnection: ctx.touchesConnection };
  const uuidOf = (name: string) => seededUuid(`${name}@${ts}`);
  const bakOf = (name: string) => `${NM_BACKUP_DIR}/${name}.${ts}`;
  const add = (name: string, argv: string[], why: string): Step => {
    const uuid = uuidOf(name);
    return step(['nmcli', 'connection', 'add', 'con-name', name, 'connection.uuid', uuid, ...argv], why, ['nmcli', 'connection', 'delete', 'uuid', uuid], {
      ...flags,
      display: `nmcli connection add con-name ${name} ${argv.slice(0, 4).join(' ')} …`,
    });
  };
  const save = (name: string): Step =>
    step(
      ['sh', '-c', SAVE, 'virtnet-nm-save', name, bakOf(name)],
      `save NetworkManager connection ${name}'s file (if there is one) to ${bakOf(name)}`,
      ['rm', '-f', bakOf(name), `${bakOf(name)}.path`],
      {
        kind: 'file',
        display: `back up NetworkManager connection ${name}`,
      },
    );
  /** Save, then modify-or-add: the profile ends up exactly `props`, whatever it was before. */
  const upsert = (name: string, type: string, props: string[], why: string): Step[] => [
    save(name),
    step(
      ['sh', '-c', UPSERT, 'virtnet-nm-upsert', name, uuidOf(name), type, ...props],
      why,
      ['sh', '-c', RESTORE, 'virtnet-nm-restore', bakOf(name), uuidOf(name)],
      { ...flags, display: `set NetworkManager connection ${name} (${type})` },
    ),
  ];
  const remove = (name: string): Step[] => [
    save(name),
    step(
      ['sh', '-c', DELETE, 'virtnet-nm-delete', name],
      `delete the NetworkManager connection ${name} (if there is one)`,
      ['sh', '-c', RESTORE, 'virtnet-nm-restore', bakOf(name), ''],
      { ...flags, display: `delete NetworkManager connection ${name}` },
    ),
  ];
  const check = (names: string[]) =>
    step(['sh', '-c', CHECK, 'virtnet-check', ...names], `check that NetworkManager has no connection named ${names.join(', ')}`, null, {
      kind: 'check',
      display: `check NetworkManager has no connection named ${names.join(' ')}`,
    });
  const warnings: string[] = [];
  const backupNote = (names: string[]) =>
    `NetworkManager's files for ${names.join(', ')} are saved under ${NM_BACKUP_DIR} first; undo puts them back (nmcli connection load)`;

  if (intent.kind === 'delete-bridge' || intent.kind === 'delete-tap') {
    const names =
      intent.kind === 'delete-bridge'
        ? [nmName(intent.bridge), ...intent.ports.map((p) => nmName(intent.bridge, p))]
        : [nmName(intent.name), ...(intent.bridge ? [nmName(intent.bridge, intent.name)] : [])];
    warnings.push(backupNote(names));
    return { backend: 'networkmanager', checks: [], steps: names.flatMap(remove), files: [], removes: [], warnings };
  }
  if (intent.kind === 'tap') {
    const n = nmName(intent.name);
    const argv = [
      'type',
      'tun',
      'ifname',
      intent.name,
      'tun.mode',
      'tap',
      ...(intent.bridge ? ['connection.master', intent.bridge, 'connection.slave-type', 'bridge'] : ['ipv4.method', 'disabled', 'ipv6.method', 'ignore']),
    ];
    return {
      backend: 'networkmanager',
      checks: [check([n]), nmConflictCheck([intent.name])],
      steps: [add(n, argv, `NetworkManager connection ${n}: tap ${intent.name}${intent.bridge ? ` on ${intent.bridge}` : ''}`)],
      files: [],
      removes: [],
      warnings,
    };
  }
  const br = intent.bridge;
  const full = intent.rewrite !== undefined;
  const names = [nmName(br), ...intent.ports.map((p) => nmName(br, p))];
  const bridgeProps = [
    'bridge.stp',
    intent.stp ? 'yes' : 'no',
    ...(intent.forwardDelay !== undefined ? ['bridge.forward-delay', String(intent.forwardDelay)] : []),
    ...(intent.vlanFiltering || full ? ['bridge.vlan-filtering', intent.vlanFiltering ? 'yes' : 'no'] : []),
    ...(intent.mac || full ? ['bridge.mac-address', intent.mac ?? ''] : []),
    ...ipArgs(intent, full),
  ];
  const portProps = (p: string) => {
    const tap = ctx.tapPorts.includes(p);
    return {
      type: tap ? 'tun' : 'ethernet',
      props: [
        ...(tap ? ['tun.mode', 'tap'] : []),
        'connection.master',
        br,
        'connection.slave-type',
        'bridge',
        'connection.autoconnect-priority',
        PORT_PRIORITY,
      ],
    };
  };
  const checks: Step[] = [nmConflictCheck([br])];
  const steps: Step[] = [];
  if (full) {
    // The bridge exists and may have VirtNet profiles already: modify them in place (a modify
    // changes the profile only; the live bridge, already in its end state, is left alone).
    steps.push(
      ...upsert(names[0]!, 'bridge', ['connection.interface-name', br, ...bridgeProps], `NetworkManager connection ${names[0]}: bridge ${br}, as it is now`),
    );
    intent.ports.forEach((p, i) => {
      const { type, props } = portProps(p);
      steps.push(
        ...upsert(names[i + 1]!, type, ['connection.interface-name', p, ...props], `NetworkManager connection ${names[i + 1]}: ${p} as a port of ${br}`),
      );
    });
    const dropped = intent.rewrite!.dropPorts.filter((p) => !intent.ports.includes(p)).map((p) => nmName(br, p));
    steps.push(...dropped.flatMap(remove));
    warnings.push(backupNote([...names, ...dropped]));
  } else {
    checks.unshift(check(names));
    steps.push(add(names[0]!, ['type', 'bridge', 'ifname', br, ...bridgeProps], `NetworkManager connection ${names[0]}: bridge ${br}`));
    intent.ports.forEach((p, i) => {
      const { type, props } = portProps(p);
      steps.push(add(names[i + 1]!, ['type', type, 'ifname', p, ...props], `NetworkManager connection ${names[i + 1]}: ${p} as a port of ${br}`));
    });
  }
  if (intent.ports.length) {
    warnings.push(
      `NetworkManager may activate the new connections at once; they match what the runtime plan made. ${intent.ports.join(', ')} keep${intent.ports.length === 1 ? 's' : ''} any older profile, which the port profile outranks at boot (autoconnect-priority ${PORT_PRIORITY}); delete the old one once the bridge works`,
    );
  }
  return { backend: 'networkmanager', checks, steps, files: [], removes: [], warnings };
}
