/**
 * ifupdown: one stanza file in /etc/network/interfaces.d. The bridge_* options come from Debian's
 * bridge-utils hook scripts; without that package ifup ignores them and no bridge is made.
 */
import { step, type Step } from '../plan';
import type { PersistContext } from './context';
import { isV6 } from './context';
import { HEADER, backupPath, removeFileSteps, stamp, writeFileSteps } from './files';
import type { PersistFile, PersistIntent, PersistResult } from './types';

export const IFUPDOWN_DIR = '/etc/network/interfaces.d';

/**
 * Fails (before anything is written) when /etc/network/interfaces does not read interfaces.d,
 * or when another file already has a stanza for one of our interfaces: ifupdown would run both
 * (e.g. DHCP on a bridge port at boot). $1 is our file, the rest are interface names.
 */
const CHECK = [
  'own=$1; shift',
  'grep -qsE "^[[:space:]]*source(-directory)?[[:space:]]+/etc/network/interfaces\\.d" /etc/network/interfaces || { echo "virtnet: /etc/network/interfaces does not source /etc/network/interfaces.d/*; add: source /etc/network/interfaces.d/*" >&2; exit 1; }',
  'for f in /etc/network/interfaces /etc/network/interfaces.d/*; do',
  '  [ -f "$f" ] && [ "$f" != "$own" ] || continue',
  '  for n in "$@"; do',
  '    if n="$n" awk \'$1 == "iface" && $2 == ENVIRON["n"] { found = 1 } END { exit !found }\' "$f"; then',
  '      echo "virtnet: $f already has an iface stanza for $n; remove it there first" >&2; exit 1',
  '    fi',
  '  done',
  'done',
].join('\n');

function filePath(name: string): string {
  return `${IFUPDOWN_DIR}/virtnet-${name}`;
}

function stanzas(intent: PersistIntent): string {
  if (intent.kind === 'tap') {
    const t = intent.name;
    const lines = [
      `# ${HEADER}: tap ${t}${intent.bridge ? ` on ${intent.bridge}` : ''}`,
      `auto ${t}`,
      `iface ${t} inet manual`,
      `    pre-up ip tuntap add dev ${t} mode tap`,
      ...(intent.bridge ? [`    up ip link set dev ${t} master ${intent.bridge}`] : []),
      `    post-down ip tuntap del dev ${t} mode tap`,
    ];
    return `${lines.join('\n')}\n`;
  }
  if (intent.kind !== 'bridge') return '';
  const br = intent.bridge;
  const v4 = intent.addresses.filter((a) => !isV6(a));
  const v6 = intent.addresses.filter(isV6);
  const gw6 = intent.gateway !== undefined && isV6(intent.gateway);
  // The first stanza carries the bridge options; ifupdown takes one address per stanza, so each
  // further address gets a stanza of its own (ifupdown 0.7+ merges stanzas of one interface).
  const [first, ...moreV4] = intent.dhcp ? [undefined, ...v4] : v4;
  const firstV6 = !intent.dhcp && !v4.length ? v6.shift() : undefined;
  const family = firstV6 ? 'inet6' : 'inet';
  const method = first || firstV6 ? 'static' : intent.dhcp ? 'dhcp' : 'manual';
  const lines = [
    `# ${HEADER}: bridge ${br}${intent.ports.length ? ` with ${intent.ports.join(', ')}` : ''}`,
    `auto ${br}`,
    `iface ${br} ${family} ${method}`,
    `    bridge_ports ${intent.ports.length ? intent.ports.join(' ') : 'none'}`,
    `    bridge_stp ${intent.stp ? 'on' : 'off'}`,
    ...(intent.forwardDelay !== undefined ? [`    bridge_fd ${intent.forwardDelay}`] : []),
    // Debian's bridge-utils hook sets vlan_filtering from this (ifupdown2 reads it too).
    ...(intent.vlanFiltering ? ['    bridge_vlan_aware yes'] : []),
    ...(intent.mac ? [`    hwaddress ${intent.mac}`] : []),
    ...(first ? [`    address ${first}`] : []),
    ...(firstV6 ? [`    address ${firstV6}`] : []),
    ...(intent.gateway && (first ? !gw6 : firstV6 ? gw6 : false) ? [`    gateway ${intent.gateway}`] : []),
  ];
  // The gateway goes with the first static address of its family.
  let gwDone = lines.some((l) => l.startsWith('    gateway '));
  const extra = (fam: 'inet' | 'inet6', a: string) => {
    lines.push('', `iface ${br} ${fam} static`, `    address ${a}`);
    if (intent.gateway && !gwDone && gw6 === (fam === 'inet6')) {
      lines.push(`    gateway ${intent.gateway}`);
      gwDone = true;
    }
  };
  for (const a of moreV4) if (a) extra('inet', a);
  for (const a of v6) extra('inet6', a);
  // Ports carry no address of their own; the bridge-utils hook brings them up.
  for (const p of intent.ports) lines.push('', `iface ${p} inet manual`);
  return `${lines.join('\n')}\n`;
}

export function persistIfupdown(intent: PersistIntent, ctx: PersistContext): PersistResult {
  const ts = stamp(ctx.now);
  const name = intent.kind === 'tap' || intent.kind === 'delete-tap' ? intent.name : intent.bridge;
  const p = filePath(name);
  // Hidden backup: `source /etc/network/interfaces.d/*` would read a visible one.
  const bak = backupPath(p, ts, true);
  const warnings: string[] = [];
  if (intent.kind === 'delete-bridge' || intent.kind === 'delete-tap') {
    if (intent.kind === 'delete-tap' && intent.bridge) {
      warnings.push(
        `if ${filePath(intent.bridge)} lists ${intent.name} in bridge_ports, ifup warns that it is missing at boot and carries on; rewrite it with any --persist change to ${intent.bridge}`,
      );
    }
    return { backend: 'ifupdown', checks: [], steps: removeFileSteps(p, bak), files: [], removes: [p], warnings };
  }
  const file: PersistFile = { path: p, contents: stanzas(intent), mode: '644' };
  const names = intent.kind === 'tap' ? [intent.name] : [intent.bridge, ...intent.ports];
  const checks: Step[] = [
    step(
      ['sh', '-c', CHECK, 'virtnet-check', p, ...names],
      `check that /etc/network/interfaces reads ${IFUPDOWN_DIR} and that no other file configures ${names.join(', ')}`,
      null,
      {
        kind: 'check',
        display: `check ifupdown reads ${IFUPDOWN_DIR} and nothing else configures ${names.join(' ')}`,
      },
    ),
  ];
  if (intent.kind === 'bridge' && !ctx.brctl) {
    warnings.push(
      'bridge-utils is not installed: ifupdown ignores bridge_ports/bridge_stp/bridge_fd without it and no bridge comes up at boot (apt-get install bridge-utils)',
    );
  }
  warnings.push(`ifupdown reads ${p} at the next boot (or ifup ${name}); nothing is re-run now, the runtime change is already in place`);
  return { backend: 'ifupdown', checks, steps: writeFileSteps(file, bak), files: [file], removes: [], warnings };
}
