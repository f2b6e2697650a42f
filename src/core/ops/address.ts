/**
 * Addresses on an interface (a bridge, usually): add, remove, clear, or ask DHCP, as the guide
 * does with `ip addr` and `dhclient br9`. Each step has its undo; a step on the interface that
 * carries the session is flagged, so the change runs under the connectivity guard.
 */
import type { HostModel } from '../model/types';
import { checkCidr, checkIfName } from '../validate';
import { touchesConnection } from './connection';
import { DHCP_WAIT_SECONDS, dhcpProblem, dhcpSteps } from './dhcp';
import type { Fact } from './facts';
import { PlanInputError, plan, step, type Plan, type Step } from './plan';

export interface AddressIntent {
  ifname: string;
  add?: string[];
  remove?: string[];
  /** Remove every address the interface has now (the inventory's list). */
  clear?: boolean;
  dhcp?: boolean;
}

export function planAddresses(model: HostModel, intent: AddressIntent): Plan {
  const errs: string[] = [];
  const nameErr = checkIfName(intent.ifname);
  if (nameErr) errs.push(nameErr);
  const link = model.links.find((l) => l.name === intent.ifname);
  if (!nameErr && !link) errs.push(`there is no interface "${intent.ifname}" on ${model.info.hostname}`);
  if (link?.master) errs.push(`"${intent.ifname}" is a port of "${link.master}": addresses belong on the bridge`);
  const add = intent.add ?? [];
  const remove = intent.clear ? [...(link?.addresses ?? [])] : (intent.remove ?? []);
  for (const a of [...add, ...(intent.remove ?? [])]) {
    const e = checkCidr(a);
    if (e) errs.push(e);
  }
  for (const a of intent.remove ?? []) {
    if (link && !link.addresses.includes(a)) errs.push(`"${intent.ifname}" has no address ${a} (it has ${link.addresses.join(', ') || 'none'})`);
  }
  for (const a of add) {
    if (link?.addresses.includes(a)) errs.push(`"${intent.ifname}" already has ${a}`);
  }
  if (intent.dhcp) {
    const noDhcp = dhcpProblem(model);
    if (noDhcp) errs.push(noDhcp);
    // The client owns the interface's IPv4 addresses: dhclient's release takes every one of them
    // off (flush by label), so static ones beside a lease could not be put back by undo.
    const leased = (link?.dynamicAddresses ?? []).filter((a) => a.includes('.') && !remove.includes(a));
    const kept = [...(link?.addresses ?? []).filter((a) => !remove.includes(a) && !leased.includes(a)), ...add].filter((a) => a.includes('.'));
    // A lease means a client already runs for it and renews it; a second client would fight it.
    if (leased.length) errs.push(`"${intent.ifname}" already has a DHCP lease (${leased.join(', ')}); its client keeps renewing it`);
    if (link && kept.length) errs.push(`with --dhcp, "${intent.ifname}" must keep no static IPv4 address (${kept.join(', ')}): add --clear or --del them`);
  }
  if (!add.length && !remove.length && !intent.dhcp) errs.push('nothing to do: give --add, --del, --clear or --dhcp');
  if (errs.length) {
    throw new PlanInputError(errs);
  }
  const flags = { touchesConnection: touchesConnection(model, intent.ifname) };
  // Taking the last address off drops the routes through it (the default gateway too); take them
  // off explicitly first so that undo, or the guard's rollback, puts them back.
  const emptied = remove.length > 0 && link!.addresses.every((a) => remove.includes(a)) && add.length === 0;
  const routes = emptied ? model.routes.filter((r) => r.dev === intent.ifname && r.protocol !== 'kernel' && r.family === 'ipv4') : [];
  const routeArgs = (r: (typeof routes)[number]) => [
    r.dst,
    ...(r.gateway ? ['via', r.gateway] : []),
    'dev',
    intent.ifname,
    ...(r.metric !== null ? ['metric', String(r.metric)] : []),
  ];
  const steps: Step[] = [
    ...routes.map((r) =>
      step(['ip', 'route', 'del', ...routeArgs(r)], `take the route ${r.dst} off ${intent.ifname}`, ['ip', 'route', 'add', ...routeArgs(r)], flags),
    ),
    ...remove.map((a) =>
      step(['ip', 'addr', 'del', a, 'dev', intent.ifname], `take ${a} off ${intent.ifname}`, ['ip', 'addr', 'add', a, 'dev', intent.ifname], flags),
    ),
    ...add.map((a) =>
      step(['ip', 'addr', 'add', a, 'dev', intent.ifname], `give ${intent.ifname} the address ${a}`, ['ip', 'addr', 'del', a, 'dev', intent.ifname], flags),
    ),
    // A default route taken off by --clear must come back from DHCP, or the plan fails.
    ...(intent.dhcp
      ? dhcpSteps(model, intent.ifname, {
          waitSeconds: DHCP_WAIT_SECONDS,
          expectDefaultRoute: routes.some((r) => r.dst === 'default'),
          touchesConnection: flags.touchesConnection,
        })
      : []),
  ];
  const what = [add.length ? `add ${add.join(', ')}` : '', remove.length ? `remove ${remove.join(', ')}` : '', intent.dhcp ? 'DHCP' : '']
    .filter(Boolean)
    .join(', ');
  const br = model.bridges.find((b) => b.name === intent.ifname);
  const l = link!;
  return plan(`Addresses of ${intent.ifname}: ${what}`, steps, {
    warnings: remove.length && !add.length && !intent.dhcp && l.addresses.length === remove.length ? [`${intent.ifname} will have no address left`] : [],
    before: [
      { fact: 'link', name: intent.ifname, master: null, ...(remove.length ? { has: remove } : {}), ...(add.length ? { lacks: add } : {}) },
      ...routes.map((r): Fact => ({ fact: 'route', dst: r.dst, gateway: r.gateway, dev: intent.ifname, present: true })),
    ],
    after: [{ fact: 'link', name: intent.ifname, ...(add.length ? { has: add } : {}), ...(remove.length ? { lacks: remove } : {}) }],
    // DHCP behind an STP bridge waits for the port to forward first.
    settle: { dhcp: intent.dhcp === true, stp: intent.dhcp === true && br?.stp === true, forwardDelay: br?.forwardDelay ?? undefined },
  });
}
