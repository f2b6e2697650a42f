/**
 * The persistence dispatcher: checks the intent and the host, then hands the intent to the
 * backend the user chose. Refusals list every reason at once, as the planners do.
 */
import type { HostModel } from '../../model/types';
import { checkCidr, checkIfName, checkIp, checkMac } from '../../validate';
import { touchesConnection } from '../connection';
import { PlanInputError, type Plan } from '../plan';
import type { PersistContext } from './context';
import { isV6 } from './context';
import { persistIfupdown } from './ifupdown';
import { persistNetplan } from './netplan';
import { persistNetworkd } from './networkd';
import { persistNetworkManager } from './networkmanager';
import { persistIntentFor, type PersistOp } from './intents';
import { PERSIST_BACKENDS, type PersistBackend, type PersistFile, type PersistIntent, type PersistOptions, type PersistResult } from './types';

export * from './types';
export { persistIfupdown } from './ifupdown';
export { persistNetplan } from './netplan';
export { persistNetworkd } from './networkd';
export { persistNetworkManager } from './networkmanager';
export type { PersistContext } from './context';
export * from './intents';

const LABEL: Record<PersistBackend, string> = {
  none: 'runtime only',
  networkmanager: 'NetworkManager',
  networkd: 'systemd-networkd',
  ifupdown: 'ifupdown',
  netplan: 'netplan',
};

/** The tool each backend runs or is read by; its absence means the host does not use it. */
const TOOL: Record<Exclude<PersistBackend, 'none'>, string> = {
  networkmanager: 'nmcli',
  networkd: 'networkctl',
  ifupdown: 'ifup',
  netplan: 'netplan',
};

/**
 * Names end up in config files: networkd's [Match] Name= takes globs, ifupdown hands names to
 * shell command lines at boot, so only letters, digits, '.', '_' and '-' are persisted.
 */
function nameProblem(name: string, what: string): string | null {
  const e = checkIfName(name, what);
  if (e) return e;
  return /^[A-Za-z0-9_.-]+$/.test(name) ? null : `the ${what} "${name}" can only be persisted with letters, digits, ".", "_" and "-"`;
}

export function isPersistBackend(s: string): s is PersistBackend {
  return (PERSIST_BACKENDS as readonly string[]).includes(s);
}

/** Every reason the intent cannot be persisted through `backend` on this host; empty when it can. */
export function persistProblems(model: HostModel, intent: PersistIntent, backend: PersistBackend): string[] {
  const errs: string[] = [];
  if (!isPersistBackend(backend)) {
    return [`"${String(backend)}" is not a persistence backend (choose ${PERSIST_BACKENDS.join(', ')})`];
  }
  const push = (e: string | null) => e && errs.push(e);
  if (intent.kind === 'tap' || intent.kind === 'delete-tap') {
    push(nameProblem(intent.name, 'tap name'));
    if (intent.bridge !== undefined) push(nameProblem(intent.bridge, 'bridge name'));
  } else {
    push(nameProblem(intent.bridge, 'bridge name'));
    for (const p of intent.ports) push(nameProblem(p, 'port name'));
    if (new Set(intent.ports).size !== intent.ports.length) errs.push('a port is listed twice');
    if (intent.ports.includes(intent.bridge)) errs.push(`${intent.bridge} cannot be a port of itself`);
  }
  if (intent.kind === 'bridge') {
    for (const a of intent.addresses) push(checkCidr(a));
    if (new Set(intent.addresses).size !== intent.addresses.length) errs.push('an address is listed twice');
    if (intent.gateway) {
      push(checkIp(intent.gateway));
      const six = isV6(intent.gateway);
      if (!intent.addresses.length) errs.push('a gateway goes with a static address');
      else if (!intent.addresses.some((a) => isV6(a) === six))
        errs.push(`the gateway ${intent.gateway} has no address of its IP family among ${intent.addresses.join(', ')}`);
    }
    if (intent.mac) push(checkMac(intent.mac));
    if (intent.forwardDelay !== undefined && (!Number.isInteger(intent.forwardDelay) || intent.forwardDelay < 2 || intent.forwardDelay > 30)) {
      errs.push(`forward delay must be a whole number of seconds from 2 to 30, not ${intent.forwardDelay}`);
    }
  }
  if (backend === 'none') return errs;
  const tool = TOOL[backend];
  const detected = model.info.networkManager;
  if (!model.info.tools[tool]) {
    errs.push(`${LABEL[backend]} is not installed on ${model.info.hostname} (no ${tool}); its configuration would never be read`);
  }
  // Two managers configuring the same interfaces fight at boot; persist through the one in charge.
  if (detected !== 'none' && detected !== backend) {
    errs.push(`${model.info.hostname}'s network is managed by ${LABEL[detected]}, not ${LABEL[backend]}: use --persist ${detected}`);
  }
  if (intent.kind !== 'tap' && intent.kind !== 'delete-tap') {
    // libvirt re-creates its network's bridge from the network's XML; a second definition fights it.
    const net = model.networks.find((n) => n.bridge === intent.bridge);
    if (net)
      errs.push(
        `${intent.bridge} belongs to the libvirt network "${net.name}": libvirt brings it up from the network's definition (virsh net-edit ${net.name}), so VirtNet does not persist it`,
      );
  }
  if (backend === 'netplan' && (intent.kind === 'tap' || intent.kind === 'delete-tap')) {
    errs.push('netplan has no tap devices: persist the tap with --persist networkd or networkmanager, or keep it runtime only');
  }
  if (backend === 'networkmanager' && detected !== 'networkmanager') {
    errs.push(`nmcli needs a running NetworkManager, and none was detected on ${model.info.hostname}`);
  }
  return errs;
}

/**
 * The steps (and exact file contents) that make `intent` survive a reboot through `backend`.
 * Throws PlanInputError with every reason when it cannot.
 */
export function persistSteps(model: HostModel, intent: PersistIntent, backend: PersistBackend, opts: PersistOptions = {}): PersistResult {
  const errs = persistProblems(model, intent, backend);
  if (errs.length) throw new PlanInputError(errs);
  if (backend === 'none') {
    return { backend, checks: [], steps: [], files: [], removes: [], warnings: ['runtime only: the change is lost at the next reboot'] };
  }
  const names =
    intent.kind === 'tap' || intent.kind === 'delete-tap' ? [intent.name, ...(intent.bridge ? [intent.bridge] : [])] : [intent.bridge, ...intent.ports];
  const ctx: PersistContext = {
    now: opts.now ?? new Date(),
    running: model.info.networkManager === backend,
    touchesConnection: names.some((n) => touchesConnection(model, n)),
    tapPorts: intent.kind === 'bridge' ? intent.ports.filter((p) => model.links.find((l) => l.name === p)?.kind === 'tun') : [],
    brctl: model.info.tools.brctl === true,
  };
  const r = backendFor(backend)(intent, ctx);
  return { ...r, warnings: [...(intent.notes ?? []), ...r.warnings] };
}

function backendFor(backend: Exclude<PersistBackend, 'none'>): (intent: PersistIntent, ctx: PersistContext) => PersistResult {
  switch (backend) {
    case 'networkd':
      return persistNetworkd;
    case 'ifupdown':
      return persistIfupdown;
    case 'netplan':
      return persistNetplan;
    case 'networkmanager':
      return persistNetworkManager;
  }
}

/**
 * The runtime plan with the persistence steps, warnings merged: one preview, one apply. The
 * read-only checks go first, so a conflict found on the host stops the plan before it changes
 * anything; the writes go last, once the runtime change has worked.
 */
export function withPersistence(plan: Plan, persisted: PersistResult): Plan {
  if (persisted.backend === 'none') return { ...plan, warnings: [...plan.warnings, ...persisted.warnings] };
  return {
    ...plan,
    title: `${plan.title}, persisted with ${LABEL[persisted.backend]}`,
    steps: [...persisted.checks, ...plan.steps, ...persisted.steps],
    warnings: [...plan.warnings, ...persisted.warnings],
  };
}

/** A plan with the configuration it saves: what every preview lists beside the steps. */
export interface SavedPlan {
  plan: Plan;
  files: PersistFile[];
  removes: string[];
}

export const RUNTIME_ONLY_WARNING = 'runtime only: the change is lost at the next reboot';

/**
 * `plan` (the runtime change of `op`) saved through `backend`: one plan, with the exact files.
 * 'none' keeps it runtime only and says so. `opts.now` stamps the backups; a caller that plans
 * twice (preview, then apply) passes the same one so both are the same plan. Throws
 * PlanInputError with every reason when the change cannot be saved that way.
 */
export function planWithSave(model: HostModel, plan: Plan, op: PersistOp, backend: PersistBackend, opts: PersistOptions = {}): SavedPlan {
  if (backend === 'none') return { plan: { ...plan, warnings: [...plan.warnings, RUNTIME_ONLY_WARNING] }, files: [], removes: [] };
  const saved = persistSteps(model, persistIntentFor(model, op), backend, opts);
  return { plan: withPersistence(plan, saved), files: saved.files, removes: saved.removes };
}

/** What each backend is called in previews and messages. */
export function backendLabel(backend: PersistBackend): string {
  return LABEL[backend];
}
