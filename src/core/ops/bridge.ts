/**
 * Bridge and tap planners (iproute2; brctl is gone from many hosts). Pure: the only input is the
 * host model the user is looking at, so the plan matches what the preview showed.
 */
import { vmOfTap } from '../model/queries';
import type { HostModel } from '../model/types';
import { checkIfName, checkNewName, problems } from '../validate';
import { touchesConnection } from './connection';
import type { Fact } from './facts';
import { PlanInputError, plan, step, type Plan, type Step } from './plan';

export interface CreateBridgeIntent {
  name: string;
  stp: boolean;
  /** Seconds; the kernel's range is 2-30 while STP is on. */
  forwardDelay?: number;
  vlanFiltering?: boolean;
  ports?: string[];
}

function addressed(model: HostModel, ifname: string): boolean {
  return (model.links.find((l) => l.name === ifname)?.addresses.length ?? 0) > 0;
}

function linkNames(model: HostModel): Set<string> {
  return new Set(model.links.map((l) => l.name));
}

/** A port must exist, be free, and not be a bridge itself. */
function portProblems(model: HostModel, port: string, bridge: string): string[] {
  const nameErr = checkIfName(port, 'port name');
  if (nameErr) {
    return [nameErr];
  }
  const link = model.links.find((l) => l.name === port);
  if (!link) {
    return [`there is no interface "${port}" on ${model.info.hostname}`];
  }
  if (link.kind === 'bridge') {
    return [`"${port}" is a bridge; a bridge cannot be a port of another bridge`];
  }
  if (link.master && link.master !== bridge) {
    return [`"${port}" is already a port of "${link.master}"; remove it there first`];
  }
  return [];
}

/** The port as the plan saw it: there, in the bridge it was in (none for a new port). */
function portBefore(model: HostModel, port: string): Fact {
  return { fact: 'link', name: port, master: model.links.find((l) => l.name === port)?.master ?? null };
}

function portStep(model: HostModel, port: string, bridge: string): Step {
  return step(['ip', 'link', 'set', 'dev', port, 'master', bridge], `make ${port} a port of ${bridge}`, ['ip', 'link', 'set', 'dev', port, 'nomaster'], {
    touchesConnection: touchesConnection(model, port),
  });
}

export function planCreateBridge(model: HostModel, intent: CreateBridgeIntent): Plan {
  const ports = intent.ports ?? [];
  const errs = problems(checkNewName(intent.name, 'bridge name'));
  if (!errs.length && linkNames(model).has(intent.name)) {
    errs.push(`an interface named "${intent.name}" already exists`);
  }
  if (intent.forwardDelay !== undefined && (!Number.isInteger(intent.forwardDelay) || intent.forwardDelay < 2 || intent.forwardDelay > 30)) {
    errs.push(`forward delay must be a whole number of seconds from 2 to 30, not ${intent.forwardDelay}`);
  }
  if (new Set(ports).size !== ports.length) {
    errs.push('a port is listed twice');
  }
  for (const p of ports) {
    errs.push(...portProblems(model, p, intent.name));
  }
  if (errs.length) {
    throw new PlanInputError(errs);
  }
  const add = ['ip', 'link', 'add', 'name', intent.name, 'type', 'bridge', 'stp_state', intent.stp ? '1' : '0'];
  if (intent.forwardDelay !== undefined) {
    // iproute2 takes the delay in centiseconds.
    add.push('forward_delay', String(intent.forwardDelay * 100));
  }
  if (intent.vlanFiltering) {
    add.push('vlan_filtering', '1');
  }
  const steps = [
    step(add, `create bridge ${intent.name} with STP ${intent.stp ? 'on' : 'off'}`, ['ip', 'link', 'del', 'dev', intent.name]),
    ...ports.map((p) => portStep(model, p, intent.name)),
    step(['ip', 'link', 'set', 'dev', intent.name, 'up'], `bring ${intent.name} up`, null),
  ];
  // An addressed NIC loses its IP traffic once enslaved, whether or not it carries this session.
  const warnings = ports
    .filter((p) => addressed(model, p))
    .map((p) => `${p} has addresses: once it is a port, they stop working (use "bridge uplink" to move them onto the bridge)`);
  return plan(`Create bridge ${intent.name}${ports.length ? ` with ${ports.join(', ')}` : ''}`, steps, {
    warnings,
    before: [{ fact: 'absent', name: intent.name }, ...ports.map((p) => portBefore(model, p))],
    after: [
      { fact: 'link', name: intent.name, bridge: true, stp: intent.stp, up: true },
      ...ports.map((p): Fact => ({ fact: 'link', name: p, master: intent.name })),
    ],
    // New ports of an STP bridge listen and learn before they forward.
    settle: { stp: intent.stp && ports.length > 0, forwardDelay: intent.forwardDelay },
  });
}

function requireBridge(model: HostModel, name: string): void {
  const err = checkIfName(name, 'bridge name');
  if (err) {
    throw new PlanInputError([err]);
  }
  if (!model.bridges.some((b) => b.name === name)) {
    throw new PlanInputError([`there is no bridge "${name}" on ${model.info.hostname}`]);
  }
}

export function planAddPort(model: HostModel, bridge: string, port: string): Plan {
  requireBridge(model, bridge);
  const errs = portProblems(model, port, bridge);
  if (errs.length) {
    throw new PlanInputError(errs);
  }
  const br = model.bridges.find((b) => b.name === bridge)!;
  return plan(`Add ${port} to ${bridge}`, [portStep(model, port, bridge)], {
    warnings: addressed(model, port) ? [`${port} has addresses that stop working once it is a port`] : [],
    before: [{ fact: 'link', name: bridge, bridge: true }, portBefore(model, port)],
    after: [{ fact: 'link', name: port, master: bridge }],
    settle: { stp: br.stp, forwardDelay: br.forwardDelay ?? undefined },
  });
}

export function planRemovePort(model: HostModel, bridge: string, port: string): Plan {
  requireBridge(model, bridge);
  const br = model.bridges.find((b) => b.name === bridge)!;
  if (!br.ports.some((p) => p.name === port)) {
    throw new PlanInputError([`"${port}" is not a port of ${bridge}`]);
  }
  return plan(
    `Remove ${port} from ${bridge}`,
    [
      step(['ip', 'link', 'set', 'dev', port, 'nomaster'], `release ${port} from ${bridge}`, ['ip', 'link', 'set', 'dev', port, 'master', bridge], {
        touchesConnection: touchesConnection(model, port) && touchesConnection(model, bridge),
      }),
    ],
    {
      before: [{ fact: 'link', name: port, master: bridge }],
      after: [{ fact: 'link', name: port, master: null }],
      // Undo (or the guard's rollback) puts the port back through listening and learning.
      settle: { stp: br.stp, forwardDelay: br.forwardDelay ?? undefined },
    },
  );
}

export function planSetStp(model: HostModel, bridge: string, on: boolean): Plan {
  requireBridge(model, bridge);
  const br = model.bridges.find((b) => b.name === bridge)!;
  const was = br.stp;
  return plan(
    `Turn STP ${on ? 'on' : 'off'} on ${bridge}`,
    // Turning STP on sends every port back through listening and learning: a pause in traffic.
    [
      step(
        ['ip', 'link', 'set', 'dev', bridge, 'type', 'bridge', 'stp_state', on ? '1' : '0'],
        `STP ${on ? 'on' : 'off'}`,
        ['ip', 'link', 'set', 'dev', bridge, 'type', 'bridge', 'stp_state', was ? '1' : '0'],
        {
          touchesConnection: on && !was && touchesConnection(model, bridge),
        },
      ),
    ],
    {
      warnings: on ? ['with STP on, ports pass traffic only after the forward delay (listening, learning)'] : [],
      before: [{ fact: 'link', name: bridge, bridge: true, stp: was }],
      after: [{ fact: 'link', name: bridge, stp: on }],
      settle: { stp: on, forwardDelay: br.forwardDelay ?? undefined },
    },
  );
}

/** Refused while the bridge carries addresses or VM taps, unless `force` after the warning. */
export function planDeleteBridge(model: HostModel, bridge: string, force = false): Plan {
  requireBridge(model, bridge);
  const br = model.bridges.find((b) => b.name === bridge)!;
  const taps = br.ports.filter((p) => p.domain).map((p) => `${p.name} (VM ${p.domain})`);
  const reasons = [
    ...(br.addresses.length ? [`${bridge} holds the host's addresses ${br.addresses.join(', ')}: deleting it may cut the connection`] : []),
    ...(taps.length ? [`${bridge} carries VM NICs: ${taps.join(', ')}`] : []),
  ];
  if (reasons.length && !force) {
    throw new PlanInputError([...reasons, 'insist with --force to delete it anyway']);
  }
  const ports = br.ports.map((p) => p.name);
  return plan(
    `Delete bridge ${bridge}`,
    [
      step(['ip', 'link', 'del', 'dev', bridge], `delete ${bridge}${ports.length ? ` (its ports ${ports.join(', ')} are released)` : ''}`, null, {
        touchesConnection: touchesConnection(model, bridge),
      }),
    ],
    {
      warnings: reasons,
      // What the refusal above was decided on: the bridge's addresses and its ports.
      before: [{ fact: 'link', name: bridge, bridge: true, addresses: br.addresses }, ...ports.map((p): Fact => ({ fact: 'link', name: p, master: bridge }))],
      after: [{ fact: 'absent', name: bridge }],
    },
  );
}

export function planCreateTap(model: HostModel, name: string, bridge?: string): Plan {
  const errs = problems(checkNewName(name, 'tap name'));
  if (!errs.length && linkNames(model).has(name)) {
    errs.push(`an interface named "${name}" already exists`);
  }
  if (bridge !== undefined) {
    const e = checkIfName(bridge, 'bridge name');
    if (e) errs.push(e);
    else if (!model.bridges.some((b) => b.name === bridge)) errs.push(`there is no bridge "${bridge}"`);
  }
  if (errs.length) {
    throw new PlanInputError(errs);
  }
  const steps = [
    step(['ip', 'tuntap', 'add', 'dev', name, 'mode', 'tap'], `create tap ${name} for a raw QEMU -netdev tap,ifname=${name}`, [
      'ip',
      'tuntap',
      'del',
      'dev',
      name,
      'mode',
      'tap',
    ]),
    ...(bridge ? [step(['ip', 'link', 'set', 'dev', name, 'master', bridge], `plug ${name} into ${bridge}`, null)] : []),
    step(['ip', 'link', 'set', 'dev', name, 'up'], `bring ${name} up`, null),
  ];
  return plan(`Create tap ${name}${bridge ? ` on ${bridge}` : ''}`, steps, {
    before: [{ fact: 'absent', name }, ...(bridge ? [{ fact: 'link', name: bridge, bridge: true } as Fact] : [])],
    after: [{ fact: 'link', name, master: bridge ?? null, up: true }],
  });
}

export function planDeleteTap(model: HostModel, name: string): Plan {
  const e = checkIfName(name, 'tap name');
  if (e) {
    throw new PlanInputError([e]);
  }
  const link = model.links.find((l) => l.name === name);
  if (!link || link.portKind !== 'tap') {
    throw new PlanInputError([`there is no tap "${name}" on ${model.info.hostname}`]);
  }
  const owner = vmOfTap(model, name);
  if (owner) {
    throw new PlanInputError([`${name} belongs to the running VM ${owner}; detach the NIC from the VM instead`]);
  }
  return plan(`Delete tap ${name}`, [step(['ip', 'tuntap', 'del', 'dev', name, 'mode', 'tap'], `delete tap ${name}`, null)], {
    before: [{ fact: 'link', name, master: link.master ?? null }],
    after: [{ fact: 'absent', name }],
  });
}
