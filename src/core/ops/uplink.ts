/**
 * "Bridge my uplink": the guide's brctl addbr / addif / zero the NIC's address / dhclient on the
 * bridge, as one plan. The NIC's addresses and the routes through it (default gateway included)
 * move to a new bridge that holds the NIC; the bridge takes the NIC's MAC so DHCP leases and
 * neighbours' ARP caches stay valid. Every step has its undo, so a failure or the connectivity
 * guard can put everything back.
 */
import type { HostModel, Route } from '../model/types';
import { checkCidr, checkIfName, checkIp, checkNewName, inSubnet } from '../validate';
import { touchesConnection } from './connection';
import { DHCP_WAIT_SECONDS, dhcpProblem, dhcpSteps } from './dhcp';
import type { Fact } from './facts';
import { PlanInputError, plan, step, type Plan, type Step } from './plan';
import { stpSeconds } from './settle';

export interface UplinkIntent {
  nic: string;
  bridge: string;
  stp: boolean;
  forwardDelay?: number;
  /** Static addressing; without it the bridge asks DHCP. */
  address?: string;
  /** Default gateway for static addressing; without it the NIC's current default route moves. */
  gateway?: string;
  dhcp?: boolean;
}

function routeArgs(r: Route, dev: string): string[] {
  return [r.dst, ...(r.gateway ? ['via', r.gateway] : []), 'dev', dev, ...(r.metric !== null ? ['metric', String(r.metric)] : [])];
}

export function planUplink(model: HostModel, intent: UplinkIntent): Plan {
  const errs: string[] = [];
  const nicErr = checkIfName(intent.nic, 'NIC name');
  const brErr = checkNewName(intent.bridge, 'bridge name');
  if (nicErr) errs.push(nicErr);
  if (brErr) errs.push(brErr);
  const nic = model.links.find((l) => l.name === intent.nic);
  if (!nicErr && !nic) errs.push(`there is no interface "${intent.nic}" on ${model.info.hostname}`);
  if (nic?.master) errs.push(`"${intent.nic}" is already a port of "${nic.master}"`);
  if (nic?.kind === 'bridge') errs.push(`"${intent.nic}" is itself a bridge`);
  if (!brErr && model.links.some((l) => l.name === intent.bridge)) errs.push(`an interface named "${intent.bridge}" already exists`);
  if (intent.dhcp && intent.address) errs.push('choose either --dhcp or --address, not both');
  if (!intent.dhcp && !intent.address) errs.push('say how the bridge gets its address: --dhcp or --address <cidr>');
  if (intent.address) {
    const e = checkCidr(intent.address);
    if (e) errs.push(e);
  }
  if (intent.gateway) {
    const e = checkIp(intent.gateway);
    if (e) errs.push(e);
    if (intent.dhcp) errs.push('--gateway goes with --address; DHCP brings its own');
  }
  if (intent.forwardDelay !== undefined && (!Number.isInteger(intent.forwardDelay) || intent.forwardDelay < 2 || intent.forwardDelay > 30)) {
    errs.push(`forward delay must be a whole number of seconds from 2 to 30, not ${intent.forwardDelay}`);
  }
  const noDhcp = intent.dhcp ? dhcpProblem(model) : null;
  if (noDhcp) errs.push(noDhcp);
  // Routes the kernel made for the addresses follow them; routes someone added (the default
  // gateway, static routes) are moved explicitly, so undo can put them back too.
  const moved = nic ? model.routes.filter((r) => r.dev === nic.name && r.protocol !== 'kernel' && r.family === 'ipv4') : [];
  if (intent.address && !checkCidr(intent.address)) {
    // The kernel takes a gateway only on a subnet of the interface: refuse now, not at the step.
    const gateways = intent.gateway ? [intent.gateway] : moved.filter((r) => r.gateway && !r.gateway.includes(':')).map((r) => r.gateway!);
    for (const gw of new Set(gateways)) {
      if (!checkIp(gw) && !inSubnet(gw, intent.address)) {
        errs.push(
          `the gateway ${gw} is off-link for ${intent.address}: ${intent.bridge} could not route through it${intent.gateway ? '' : ' (it is the gateway the NIC has now; give --gateway on the new subnet)'}`,
        );
      }
    }
  }
  if (errs.length) {
    throw new PlanInputError(errs);
  }

  const n = nic!;
  const br = intent.bridge;
  const guard = { touchesConnection: touchesConnection(model, n.name) };
  const add = ['ip', 'link', 'add', 'name', br, 'type', 'bridge', 'stp_state', intent.stp ? '1' : '0'];
  if (intent.forwardDelay !== undefined) add.push('forward_delay', String(intent.forwardDelay * 100));

  const steps: Step[] = [
    step(add, `create bridge ${br} with STP ${intent.stp ? 'on' : 'off'}`, ['ip', 'link', 'del', 'dev', br]),
    ...(n.mac
      ? [step(['ip', 'link', 'set', 'dev', br, 'address', n.mac], `give ${br} the MAC of ${n.name} (${n.mac}), so leases and ARP caches stay valid`, null)]
      : []),
    step(['ip', 'link', 'set', 'dev', br, 'up'], `bring ${br} up`, null),
    ...moved.map((r) =>
      step(
        ['ip', 'route', 'del', ...routeArgs(r, n.name)],
        `take the route ${r.dst}${r.gateway ? ` via ${r.gateway}` : ''} off ${n.name}`,
        ['ip', 'route', 'add', ...routeArgs(r, n.name)],
        guard,
      ),
    ),
    ...n.addresses.map((a) => step(['ip', 'addr', 'del', a, 'dev', n.name], `take ${a} off ${n.name}`, ['ip', 'addr', 'add', a, 'dev', n.name], guard)),
    step(['ip', 'link', 'set', 'dev', n.name, 'master', br], `make ${n.name} a port of ${br}`, ['ip', 'link', 'set', 'dev', n.name, 'nomaster'], guard),
  ];
  if (intent.address) {
    steps.push(
      step(
        ['ip', 'addr', 'add', intent.address, 'dev', br],
        `give ${br} the address ${intent.address}`,
        ['ip', 'addr', 'del', intent.address, 'dev', br],
        guard,
      ),
    );
    const routes: Route[] = intent.gateway ? [{ dst: 'default', gateway: intent.gateway, dev: br, protocol: null, metric: null, family: 'ipv4' }] : moved;
    for (const r of routes) {
      steps.push(
        step(
          ['ip', 'route', 'add', ...routeArgs(r, br)],
          `route ${r.dst}${r.gateway ? ` via ${r.gateway}` : ''} through ${br}`,
          ['ip', 'route', 'del', ...routeArgs(r, br)],
          guard,
        ),
      );
    }
  } else {
    // With STP on, the new port passes nothing until listening and learning are over: the
    // client's time includes them. A default route the NIC carried must come back from DHCP.
    const settle = intent.stp ? stpSeconds(intent.forwardDelay) : 0;
    steps.push(
      ...dhcpSteps(model, br, {
        waitSeconds: DHCP_WAIT_SECONDS + settle,
        expectDefaultRoute: moved.some((r) => r.dst === 'default'),
        touchesConnection: guard.touchesConnection,
      }),
    );
  }
  const warnings: string[] = [];
  if (intent.stp) {
    const fd = intent.forwardDelay ?? 15;
    warnings.push(`with STP on, ${n.name} forwards only after listening and learning: about ${2 * fd} s without traffic`);
  }
  if (intent.address && !intent.gateway && !moved.some((r) => r.dst === 'default')) {
    warnings.push('no default route moves with this plan (none went through the NIC and --gateway was not given)');
  }
  if (n.addresses.length === 0) {
    warnings.push(`${n.name} has no address now; nothing is moved off it`);
  }
  const gateway = intent.gateway ?? moved.find((r) => r.dst === 'default')?.gateway ?? null;
  const after: Fact[] = [
    { fact: 'link', name: n.name, master: br },
    { fact: 'link', name: br, bridge: true, stp: intent.stp, up: true, ...(intent.address ? { has: [intent.address] } : {}) },
    ...n.addresses.map((a): Fact => ({ fact: 'link', name: n.name, lacks: [a] })),
    ...(intent.address && gateway ? [{ fact: 'route', dst: 'default', gateway, dev: br, present: true } as Fact] : []),
  ];
  return plan(
    `Bridge the uplink ${n.name} into ${br} (${intent.address ? `static ${intent.address}${intent.gateway ? ` via ${intent.gateway}` : ''}` : 'DHCP'})`,
    steps,
    {
      warnings,
      before: [
        { fact: 'absent', name: br },
        { fact: 'link', name: n.name, master: null, has: n.addresses },
        ...moved.map((r): Fact => ({ fact: 'route', dst: r.dst, gateway: r.gateway, dev: n.name, present: true })),
      ],
      after,
      settle: { stp: intent.stp, forwardDelay: intent.forwardDelay, dhcp: intent.dhcp === true },
    },
  );
}
