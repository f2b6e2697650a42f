/**
 * A libvirt network's life: start, stop, autostart on or off, delete; and its static DHCP hosts
 * and ranges, changed live and in the definition at once with `virsh net-update` (libvirt rewrites
 * dnsmasq's files and signals or restarts it; a guest keeps an existing lease until it renews).
 * Stopping or deleting a network that running VMs use needs the user to insist.
 */
import { networkUsers, ownBridgeOf } from '../../model/queries';
import type { HostModel, Network } from '../../model/types';
import { checkIp, checkMac, checkNewName, inSubnet } from '../../validate';
import { PlanInputError, plan, step, type Plan } from '../plan';
import { rangeProblems, type DhcpHostSpec } from './dhcpSpec';
import { fitDisplay, netUpdateArgv, networkNamed as find, virshArgv, virshWithXmlArgv } from './virsh';
import { escapeAttr } from './xmlEdit';

/** Why stopping `net` needs insisting: the running VMs on it. */
export function networkInUse(model: HostModel, name: string): string[] {
  const net = model.networks.find((n) => n.name === name);
  if (!net || !net.active) return [];
  const users = networkUsers(model, net);
  return users.length ? [`the running VMs ${users.join(', ')} (their NICs lose the network until it starts again)`] : [];
}

/** The taps of running (or paused) VMs' NICs on `net` that exist on the host, with their masters. */
export function vmTapsOn(model: HostModel, net: Network): { tap: string; vm: string; master: string | null }[] {
  const out: { tap: string; vm: string; master: string | null }[] = [];
  for (const d of model.domains) {
    if (d.state !== 'running' && d.state !== 'paused') continue;
    for (const i of d.interfaces) {
      if (i.type !== 'network' || i.source !== net.name || !i.target) continue;
      const link = model.links.find((l) => l.name === i.target);
      if (link) out.push({ tap: i.target, vm: d.name, master: link.master });
    }
  }
  return out;
}

/** Those taps that sit on no bridge (after a network restart libvirt leaves them so). */
export function orphanTaps(model: HostModel, net: Network): { tap: string; vm: string }[] {
  return vmTapsOn(model, net).filter((t) => t.master === null);
}

export function planNetworkStart(model: HostModel, name: string): Plan {
  const net = find(model, name);
  if (net.active) throw new PlanInputError([`network ${name} is already running`]);
  const uri = model.libvirtUri;
  const own = ownBridgeOf(net);
  const steps = [step(virshArgv(uri, 'net-start', '--network', name), `start ${name}`, virshArgv(uri, 'net-destroy', '--network', name), { kind: 'libvirt' })];
  // libvirt leaves running guests' taps off the bridge it makes anew (until libvirtd restarts):
  // they go back on it here, so the guests reach the network again at once.
  const orphans = own ? orphanTaps(model, net) : [];
  for (const o of orphans) {
    steps.push(
      step(['ip', 'link', 'set', 'dev', o.tap, 'master', own!], `${o.vm}'s tap ${o.tap} back on ${own}`, ['ip', 'link', 'set', 'dev', o.tap, 'nomaster']),
    );
  }
  return plan(`Start network ${name}`, steps, {
    warnings: orphans.length ? [`re-attaches ${orphans.map((o) => `${o.tap} (${o.vm})`).join(', ')}, which libvirt leaves off the new bridge`] : [],
    after: own ? [{ fact: 'link', name: own, bridge: true }, ...orphans.map((o) => ({ fact: 'link' as const, name: o.tap, master: own }))] : [],
    before: own ? [{ fact: 'absent', name: own }, ...orphans.map((o) => ({ fact: 'link' as const, name: o.tap, master: null }))] : [],
  });
}

export function planNetworkStop(model: HostModel, name: string, force: boolean): Plan {
  const net = find(model, name);
  if (!net.active) throw new PlanInputError([`network ${name} is not running`]);
  const users = networkInUse(model, name);
  if (users.length && !force) throw new PlanInputError([`network ${name} carries ${users.join(' and ')}: insist with --force`]);
  if (!net.persistent)
    throw new PlanInputError([`network ${name} is transient: stopping it deletes it, and nothing could start it again (make it persistent first)`]);
  const uri = model.libvirtUri;
  const warnings = users.length
    ? [`${users.join(', ')}: libvirt leaves their taps off the bridge when the network starts again; VirtNet's Start Network puts them back`]
    : [];
  return plan(
    `Stop network ${name}`,
    [step(virshArgv(uri, 'net-destroy', '--network', name), `stop ${name}`, virshArgv(uri, 'net-start', '--network', name), { kind: 'libvirt' })],
    {
      warnings,
      after: ownBridgeOf(net) ? [{ fact: 'absent', name: ownBridgeOf(net)! }] : [],
    },
  );
}

export function planNetworkAutostart(model: HostModel, name: string, on: boolean): Plan {
  const net = find(model, name);
  if (net.autostart === on) throw new PlanInputError([`network ${name} already ${on ? 'starts' : 'does not start'} at boot`]);
  if (!net.persistent) throw new PlanInputError([`network ${name} is transient: it has no definition to start at boot`]);
  const uri = model.libvirtUri;
  const set = (v: boolean) => virshArgv(uri, 'net-autostart', '--network', name, ...(v ? [] : ['--disable']));
  return plan(
    `${on ? 'Autostart' : 'No autostart for'} network ${name}`,
    [step(set(on), on ? `start ${name} at every boot` : `leave ${name} stopped at boot`, set(!on), { kind: 'libvirt' })],
    {
      after: [{ fact: 'netAutostart', name, uri, on }],
    },
  );
}

export function planNetworkDelete(model: HostModel, name: string, force: boolean): Plan {
  const net = find(model, name);
  const users = networkInUse(model, name);
  if (users.length && !force) throw new PlanInputError([`network ${name} carries ${users.join(' and ')}: insist with --force`]);
  if (!net.persistent && !net.active) throw new PlanInputError([`network ${name} is neither defined nor running`]);
  const uri = model.libvirtUri;
  const def = net.inactiveXml;
  const steps = [];
  if (net.autostart)
    steps.push(
      step(
        virshArgv(uri, 'net-autostart', '--network', name, '--disable'),
        `${name} no longer starts at boot`,
        virshArgv(uri, 'net-autostart', '--network', name),
        { kind: 'libvirt' },
      ),
    );
  if (net.active)
    steps.push(
      step(virshArgv(uri, 'net-destroy', '--network', name), `stop ${name}`, net.persistent ? virshArgv(uri, 'net-start', '--network', name) : null, {
        kind: 'libvirt',
      }),
    );
  if (net.persistent) {
    // The undo defines it again from its own definition, as it was, byte for byte.
    steps.push(
      step(virshArgv(uri, 'net-undefine', '--network', name), `forget ${name}'s definition`, def ? virshWithXmlArgv(uri, def, 'net-define', '--file') : null, {
        kind: 'libvirt',
        display: fitDisplay(`virsh net-undefine ${name}`),
      }),
    );
  }
  return plan(`Delete network ${name}`, steps, {
    warnings: users.length ? [`${users.join(', ')} lose their network`] : [],
    before: def ? [{ fact: 'definition', kind: 'network', name, uri, xml: def }] : [],
    after: net.active && ownBridgeOf(net) ? [{ fact: 'absent', name: ownBridgeOf(net)! }] : [],
  });
}

function rangeXml(start: string, end: string): string {
  return `<range start='${escapeAttr(start)}' end='${escapeAttr(end)}'/>`;
}

function hostXml(h: DhcpHostSpec): string {
  return `<host mac='${escapeAttr(h.mac)}'${h.name ? ` name='${escapeAttr(h.name)}'` : ''} ip='${escapeAttr(h.ip)}'/>`;
}

export function planDhcpHostAdd(model: HostModel, name: string, h: DhcpHostSpec): Plan {
  const net = find(model, name);
  const problems: string[] = [];
  const mac = h.mac.toLowerCase();
  const macBad = checkMac(mac);
  if (macBad) problems.push(macBad);
  const ipBad = checkIp(h.ip);
  if (ipBad) problems.push(ipBad);
  if (h.name !== undefined) {
    const nb = checkNewName(h.name, 'host name', false);
    if (nb) problems.push(nb);
  }
  const v4 = net.ips.find((ip) => ip.family === 'ipv4' && (ip.dhcpRanges.length > 0 || ip.dhcpHosts.length > 0)) ?? net.ips.find((ip) => ip.family === 'ipv4');
  if (!v4) problems.push(`network ${name} has no IPv4 address: it serves no DHCP`);
  else if (!ipBad && !inSubnet(h.ip, `${v4.address}/${v4.prefix}`)) problems.push(`${h.ip} is not inside ${v4.address}/${v4.prefix}`);
  else if (h.ip === v4?.address) problems.push(`${h.ip} is the host's own address on ${name}`);
  for (const e of v4?.dhcpHosts ?? []) {
    if (e.mac === mac) problems.push(`${name} already has a static host for ${mac} (${e.ip})`);
    if (e.ip === h.ip) problems.push(`${name} already gives ${h.ip} to ${e.mac ?? e.name ?? 'another host'}`);
    if (h.name && e.name === h.name) problems.push(`${name} already has a static host named ${h.name}`);
  }
  if (problems.length) throw new PlanInputError(problems);
  const entry = { mac, ip: h.ip, ...(h.name ? { name: h.name } : {}) };
  const lease = net.leases.find((l) => l.mac === mac);
  const text = `<host mac='${mac}'`;
  return plan(
    `Static DHCP host ${h.ip} for ${mac} on ${name}`,
    [
      step(
        netUpdateArgv(model, net, 'add-last', 'ip-dhcp-host', hostXml(entry)),
        `dnsmasq gives ${h.ip} to ${mac}${h.name ? ` (${h.name})` : ''}`,
        netUpdateArgv(model, net, 'delete', 'ip-dhcp-host', hostXml(entry)),
        {
          kind: 'libvirt',
          display: fitDisplay(`virsh net-update ${name} add ip-dhcp-host ${mac} ${h.ip}${net.active ? ' --live' : ''}${net.persistent ? ' --config' : ''}`),
        },
      ),
    ],
    {
      warnings: lease && lease.ip !== h.ip ? [`${mac} holds the lease ${lease.ip} now: the guest gets ${h.ip} when it renews (or is restarted)`] : [],
      before: net.persistent ? [{ fact: 'netXml', name, uri: model.libvirtUri, text, present: false }] : [],
      after: net.persistent ? [{ fact: 'netXml', name, uri: model.libvirtUri, text, present: true }] : [],
    },
  );
}

export function planDhcpHostRemove(model: HostModel, name: string, mac: string): Plan {
  const net = find(model, name);
  const m = mac.toLowerCase();
  const entry = net.ips.flatMap((ip) => ip.dhcpHosts).find((h) => h.mac === m);
  if (!entry) throw new PlanInputError([`network ${name} has no static host for ${m}`]);
  const spec = { mac: m, ip: entry.ip, ...(entry.name ? { name: entry.name } : {}) };
  return plan(
    `Remove the static DHCP host ${entry.ip} (${m}) from ${name}`,
    [
      step(
        netUpdateArgv(model, net, 'delete', 'ip-dhcp-host', hostXml(spec)),
        `dnsmasq no longer reserves ${entry.ip} for ${m}`,
        netUpdateArgv(model, net, 'add-last', 'ip-dhcp-host', hostXml(spec)),
        {
          kind: 'libvirt',
          display: fitDisplay(`virsh net-update ${name} delete ip-dhcp-host ${m} ${entry.ip}`),
        },
      ),
    ],
    {
      before: net.persistent ? [{ fact: 'netXml', name, uri: model.libvirtUri, text: `<host mac='${m}'`, present: true }] : [],
      after: net.persistent ? [{ fact: 'netXml', name, uri: model.libvirtUri, text: `<host mac='${m}'`, present: false }] : [],
    },
  );
}

/** Adds a DHCP range to a network's IPv4 subnet (libvirt restarts its dnsmasq for it). */
export function planDhcpRangeAdd(model: HostModel, name: string, range: string): Plan {
  const net = find(model, name);
  const ip = net.ips.find((x) => x.family === 'ipv4');
  if (!ip) throw new PlanInputError([`network ${name} has no IPv4 address: it serves no DHCP`]);
  const problems = rangeProblems(range, `${ip.address}/${ip.prefix}`, ip.dhcpRanges);
  if (problems.length) throw new PlanInputError(problems);
  const [start, end] = range.split('-') as [string, string];
  const text = `<range start='${start}' end='${end}'`;
  return plan(
    `DHCP range ${range} on ${name}`,
    [
      step(
        netUpdateArgv(model, net, 'add-last', 'ip-dhcp-range', rangeXml(start, end)),
        `dnsmasq also leases ${range}`,
        netUpdateArgv(model, net, 'delete', 'ip-dhcp-range', rangeXml(start, end)),
        {
          kind: 'libvirt',
          display: fitDisplay(`virsh net-update ${name} add ip-dhcp-range ${range}${net.active ? ' --live' : ''}${net.persistent ? ' --config' : ''}`),
        },
      ),
    ],
    {
      warnings: net.active ? [`libvirt restarts ${name}'s dnsmasq for a new range; guests keep their leases`] : [],
      before: net.persistent ? [{ fact: 'netXml', name, uri: model.libvirtUri, text, present: false }] : [],
      after: net.persistent ? [{ fact: 'netXml', name, uri: model.libvirtUri, text, present: true }] : [],
    },
  );
}

/** Takes one of a network's DHCP ranges away (existing leases stay until they expire). */
export function planDhcpRangeRemove(model: HostModel, name: string, range: string): Plan {
  const net = find(model, name);
  const [start, end] = range.split('-');
  const r = net.ips.flatMap((x) => x.dhcpRanges).find((x) => x.start === start && x.end === end);
  if (!r || !start || !end) throw new PlanInputError([`network ${name} has no DHCP range ${range}`]);
  const text = `<range start='${start}' end='${end}'`;
  return plan(
    `Remove the DHCP range ${range} from ${name}`,
    [
      step(
        netUpdateArgv(model, net, 'delete', 'ip-dhcp-range', rangeXml(start, end)),
        `dnsmasq no longer leases ${range}`,
        netUpdateArgv(model, net, 'add-last', 'ip-dhcp-range', rangeXml(start, end)),
        {
          kind: 'libvirt',
          display: fitDisplay(`virsh net-update ${name} delete ip-dhcp-range ${range}`),
        },
      ),
    ],
    {
      warnings: [`guests holding a lease in ${range} keep it until it expires or they renew`],
      before: net.persistent ? [{ fact: 'netXml', name, uri: model.libvirtUri, text, present: true }] : [],
      after: net.persistent ? [{ fact: 'netXml', name, uri: model.libvirtUri, text, present: false }] : [],
    },
  );
}
