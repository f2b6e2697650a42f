/**
 * netplan: one YAML file in /etc/netplan, then `netplan generate`. Not `netplan apply`: the
 * runtime change is already made by iproute2, and apply would restart the renderer and re-apply
 * every interface (the uplink included) for nothing. generate validates the YAML (a rejected
 * file fails the plan, and the backup comes back) and renders it for the next boot.
 */
import { step, type Step } from '../plan';
import { netplanConflictCheck } from './conflicts';
import type { PersistContext } from './context';
import { HEADER, backupPath, removeFileSteps, stamp, writeFileSteps } from './files';
import type { PersistFile, PersistIntent, PersistResult } from './types';

export const NETPLAN_DIR = '/etc/netplan';

/** YAML double-quoted scalar; JSON's escaping is a subset of YAML's for printable ASCII. */
const q = (s: string) => JSON.stringify(s);

function filePath(bridge: string): string {
  // 60 sorts after the installer's 00-/01-/50-cloud-init files, so our ethernets entry wins.
  return `${NETPLAN_DIR}/60-virtnet-${bridge}.yaml`;
}

function yaml(intent: Extract<PersistIntent, { kind: 'bridge' }>): string {
  const br = intent.bridge;
  const lines = [`# ${HEADER}: bridge ${br}${intent.ports.length ? ` with ${intent.ports.join(', ')}` : ''}`, 'network:', '  version: 2'];
  if (intent.ports.length) {
    lines.push('  ethernets:');
    for (const p of intent.ports) lines.push(`    ${q(p)}:`, '      dhcp4: false');
  }
  lines.push('  bridges:', `    ${q(br)}:`, `      interfaces: [${intent.ports.map(q).join(', ')}]`);
  if (intent.mac) lines.push(`      macaddress: ${q(intent.mac)}`);
  lines.push('      parameters:', `        stp: ${intent.stp}`);
  if (intent.forwardDelay !== undefined) lines.push(`        forward-delay: ${intent.forwardDelay}`);
  if (intent.addresses.length) lines.push(`      addresses: [${intent.addresses.map(q).join(', ')}]`);
  if (intent.gateway) lines.push('      routes:', '        - to: default', `          via: ${q(intent.gateway)}`);
  if (!intent.addresses.length || intent.dhcp) lines.push(`      dhcp4: ${intent.dhcp ? 'true' : 'false'}`);
  return `${lines.join('\n')}\n`;
}

export function persistNetplan(intent: PersistIntent, ctx: PersistContext): PersistResult {
  if (intent.kind === 'tap' || intent.kind === 'delete-tap') {
    // Checked by the dispatcher too; kept here so the function is safe on its own.
    throw new Error('netplan has no tap devices');
  }
  const ts = stamp(ctx.now);
  const p = filePath(intent.bridge);
  const bak = backupPath(p, ts);
  const generate = step(
    ['netplan', 'generate'],
    'have netplan validate the YAML and render it for the next boot (netplan apply is not needed: the change is already live)',
    null,
    { kind: 'config' },
  );
  if (intent.kind === 'delete-bridge') {
    return { backend: 'netplan', checks: [], steps: [...removeFileSteps(p, bak), generate], files: [], removes: [p], warnings: [] };
  }
  // netplan warns about (and future versions refuse) YAML that others can read.
  const file: PersistFile = { path: p, contents: yaml(intent), mode: '600' };
  const steps: Step[] = [...writeFileSteps(file, bak), generate];
  const warnings = intent.ports.length
    ? [
        `if another file in ${NETPLAN_DIR} configures ${intent.ports.join(', ')} under another id (match: macaddress), remove its addresses there: netplan would apply both`,
      ]
    : [];
  // netplan has no key for it; networkd (its usual renderer) would need a drop-in VirtNet does not write.
  if (intent.vlanFiltering)
    warnings.push(
      `netplan has no setting for VLAN filtering: ${intent.bridge} comes up at boot without it (set it again with ip link set dev ${intent.bridge} type bridge vlan_filtering 1)`,
    );
  return { backend: 'netplan', checks: [netplanConflictCheck(p, [intent.bridge])], steps, files: [file], removes: [], warnings };
}
