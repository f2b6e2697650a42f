/** The CLI's readable text: a host model as a tree, a plan as its steps. No colours, stable order. */
import { prefixLines } from '../core/lines';
import { shJoin } from '../core/exec/quote';
import { hostdevRows, networkRows, nicRows } from '../core/model/libvirtText';
import { forwardAmiss } from '../core/model/queries';
import type { HostModel } from '../core/model/types';
import type { PersistFile } from '../core/ops/persist/types';
import type { Plan } from '../core/ops/plan';

export function renderInventory(m: HostModel): string {
  const out: string[] = [];
  const put = (depth: number, text: string) => out.push(`${'  '.repeat(depth)}${text}`);
  put(0, `${m.info.hostname} (${m.host})${m.info.kernel ? `  kernel ${m.info.kernel}` : ''}${m.collectMs !== null ? `  collected in ${m.collectMs} ms` : ''}`);

  put(1, `Bridges (${m.bridges.length})`);
  for (const b of m.bridges) {
    const facts = [b.up ? 'up' : 'down', `stp ${b.stp ? 'on' : 'off'}`, b.vlanFiltering ? 'vlan filtering' : null, ...b.addresses].filter(Boolean);
    put(2, `${b.name}  ${facts.join(', ')}`);
    for (const p of b.ports) {
      const owner = p.domain ? ` vm ${p.domain}` : '';
      const extra = [p.state, p.driver ? `driver ${p.driver}` : null, p.physfn ? `pf ${p.physfn}` : null].filter(Boolean).join(', ');
      put(3, `${p.name}  ${p.kind}${owner}${extra ? `  (${extra})` : ''}`);
    }
  }

  put(1, `Libvirt networks (${m.networks.length})`);
  for (const n of m.networks) {
    const state = [n.active ? 'active' : 'inactive', n.autostart ? 'autostart' : null, n.persistent ? null : 'transient'].filter(Boolean).join(', ');
    const subnets = n.ips.map(
      (ip) => `${ip.address}/${ip.prefix}${ip.dhcpRanges.length ? ` dhcp ${ip.dhcpRanges.map((r) => `${r.start}-${r.end}`).join(',')}` : ''}`,
    );
    put(2, `${n.name}  ${n.forwardMode}${n.bridge ? ` on ${n.bridge}` : ''}  ${state}${subnets.length ? `  ${subnets.join('; ')}` : ''}`);
    for (const [k, v] of networkRows(n)) if (v !== undefined && v !== null && v !== '') put(3, `${k}: ${String(v)}`);
    for (const l of n.leases) {
      put(3, `lease ${l.ip}  ${l.mac}${l.hostname ? `  ${l.hostname}` : ''}`);
    }
  }

  put(1, `Virtual machines (${m.domains.length})`);
  for (const d of m.domains) {
    put(2, `${d.name}  ${d.state}${d.virtType ? `  ${d.virtType}` : ''}`);
    for (const i of d.interfaces) {
      const model = i.model ? `${i.model}${i.model === 'virtio' ? '' : ' (emulated)'}` : 'default model';
      put(3, `nic ${i.mac ?? '?'}  ${i.type} ${i.source ?? '?'}  ${model}${i.target ? `  tap ${i.target}` : ''}${i.ips.length ? `  ${i.ips.join(', ')}` : ''}`);
      const more = nicRows(i).filter(([, v]) => v !== undefined && v !== null && v !== '');
      if (more.length) put(4, more.map(([k, v]) => `${k} ${String(v)}`).join(', '));
      for (const f of m.forwards.filter((x) => x.vm === d.name && x.mac === i.mac)) {
        const amiss = forwardAmiss(m.forwardsAmiss, f);
        put(
          4,
          `forward ${f.proto} ${f.hostAddress ?? '*'}:${f.hostPort} -> ${f.guestIp}:${f.guestPort}${f.fromHost ? '  (from the host too)' : ''}${f.hairpin ? '  (hairpin)' : ''}${amiss.length ? `  NOT IN FORCE: ${amiss.join('; ')} (virtnet forward reapply)` : ''}`,
        );
      }
    }
    for (const h of d.hostdevs) {
      const more = hostdevRows(h).filter(([k, v]) => k !== 'mode' && v !== undefined && v !== null && v !== '');
      put(
        3,
        `hostdev ${h.type} ${h.address ?? '?'}${h.managed ? ' managed' : ''}${more.length ? `  ${more.map(([k, v]) => `${k} ${String(v)}`).join(', ')}` : ''}`,
      );
    }
  }

  put(1, `PCI network devices (${m.pciDevices.length})`);
  for (const p of m.pciDevices.filter((d) => !d.physfn)) {
    const name = p.deviceName ? `${p.vendorName ?? ''} ${p.deviceName}`.trim() : `${p.vendorId}:${p.deviceId}`;
    const facts = [
      p.driver ? `driver ${p.driver}` : 'no driver',
      p.iommuGroup !== null ? `iommu group ${p.iommuGroup}` : null,
      p.netdevs.length ? p.netdevs.join(',') : null,
      p.sriov ? `sr-iov ${p.sriov.numVfs}/${p.sriov.totalVfs} VFs` : null,
      p.assignedTo ? `assigned to ${p.assignedTo}` : null,
    ].filter(Boolean);
    put(2, `${p.address}  ${name}  (${facts.join(', ')})`);
    for (const vf of p.vfs) {
      const v = m.pciDevices.find((d) => d.address === vf);
      put(3, `vf ${vf}${v?.driver ? `  driver ${v.driver}` : ''}${v?.assignedTo ? `  assigned to ${v.assignedTo}` : ''}`);
    }
  }

  put(1, 'Readiness');
  for (const c of m.checks) {
    put(2, `${c.ok ? '[ok]  ' : '[FAIL]'} ${c.id}: ${c.detail}`);
  }
  return `${out.join('\n')}\n`;
}

/**
 * A plan for the terminal: each step's short form, and with `verbose` its exact command (quoted
 * as the host's shell receives it) and undo; the warnings; every file and document exactly as
 * it is written.
 */
export function renderPlan(plan: Plan, files: readonly PersistFile[] = [], removes: readonly string[] = [], verbose = false): string {
  const lines = [
    `Plan: ${plan.title} (${plan.steps.length} step${plan.steps.length === 1 ? '' : 's'}, one round trip; a failing step undoes the ones before it)`,
  ];
  plan.steps.forEach((s, i) => {
    const mark = s.touchesConnection ? '  [connection path]' : '';
    lines.push(`  ${String(i + 1).padStart(2)}. ${s.display}${mark}`);
    // A document the step hands over (libvirt XML) is part of the preview, whole.
    if (s.document) lines.push(`      ${s.document.label}:`, ...prefixLines(s.document.text, '      | '));
    if (verbose) {
      lines.push(`      why: ${s.why}`, `      $ ${shJoin(s.argv)}`);
      if (s.undo) lines.push(`      undo: ${shJoin(s.undo)}`);
    }
  });
  for (const w of plan.warnings) lines.push(`  warning: ${w}`);
  // The preview shows every file exactly as it will be written.
  for (const f of files) {
    lines.push(`  file ${f.path} (mode ${f.mode}):`, ...prefixLines(f.contents, '    | '));
  }
  for (const r of removes) lines.push(`  file ${r} is removed (backed up first)`);
  if (!verbose) lines.push('  (--verbose shows each exact command and its undo; --script the whole script)');
  return `${lines.join('\n')}\n`;
}
