/**
 * What any bridge or tap operation means for the host's saved configuration, from the same
 * inputs the runtime planners take. The CLI and the VS Code extension both call this:
 *
 *   persistIntentFor(model: HostModel, op: PersistOp): PersistIntent
 *
 *   const intent = persistIntentFor(model, { op: 'add-port', bridge: 'br9', port: 'enp3s2' });
 *   const saved = persistSteps(model, intent, 'networkd');      // throws PlanInputError
 *   const plan = withPersistence(planAddPort(model, 'br9', 'enp3s2'), saved);
 *
 * A change to an existing bridge is saved as the bridge's complete end state (ports, STP,
 * forward delay, VLAN filtering, addresses, DHCP, default gateway), read from the inventory with
 * the change applied, and written as VirtNet's own config for that bridge: the same files or
 * profiles create-bridge writes, replaced. Throws PlanInputError when there is nothing it could
 * persist (no such bridge; addresses of an interface that is not a bridge).
 */
import { vmOfTap } from '../../model/queries';
import type { HostModel } from '../../model/types';
import type { AddressIntent } from '../address';
import type { CreateBridgeIntent } from '../bridge';
import { PlanInputError } from '../plan';
import type { UplinkIntent } from '../uplink';
import { isV6 } from './context';
import type { PersistBridge, PersistIntent } from './types';

/** Every operation VirtNet can persist, with the runtime planner's own inputs. */
export type PersistOp =
  | { op: 'create-bridge'; intent: CreateBridgeIntent }
  | { op: 'uplink'; intent: UplinkIntent }
  | { op: 'delete-bridge'; bridge: string }
  | { op: 'add-port'; bridge: string; port: string }
  | { op: 'remove-port'; bridge: string; port: string }
  | { op: 'stp'; bridge: string; on: boolean }
  | { op: 'address'; intent: AddressIntent }
  | { op: 'create-tap'; name: string; bridge?: string }
  | { op: 'delete-tap'; name: string };

/** A change to an existing bridge; what it leaves out stays as the inventory has it. */
export interface BridgeChange {
  addPorts?: string[];
  removePorts?: string[];
  stp?: boolean;
  forwardDelay?: number;
  vlanFiltering?: boolean;
  addAddresses?: string[];
  removeAddresses?: string[];
  /** Every address goes, DHCP too. */
  clearAddresses?: boolean;
  dhcp?: boolean;
}

export function persistIntentFor(model: HostModel, op: PersistOp): PersistIntent {
  switch (op.op) {
    case 'create-bridge':
      return persistIntentForBridge(op.intent);
    case 'uplink':
      return persistIntentForUplink(model, op.intent);
    case 'delete-bridge':
      return { kind: 'delete-bridge', bridge: op.bridge, ports: bridgeOf(model, op.bridge).ports.map((p) => p.name) };
    case 'add-port':
      return persistIntentForBridgeState(model, op.bridge, { addPorts: [op.port] });
    case 'remove-port':
      return persistIntentForBridgeState(model, op.bridge, { removePorts: [op.port] });
    case 'stp':
      return persistIntentForBridgeState(model, op.bridge, { stp: op.on });
    case 'address': {
      const a = op.intent;
      if (!model.bridges.some((b) => b.name === a.ifname)) {
        throw new PlanInputError([
          `VirtNet saves the addresses of bridges only, and "${a.ifname}" is not a bridge: use --persist none and save it in the host's own configuration`,
        ]);
      }
      return persistIntentForBridgeState(model, a.ifname, {
        addAddresses: a.add ?? [],
        removeAddresses: a.remove ?? [],
        clearAddresses: a.clear === true,
        dhcp: a.dhcp === true,
      });
    }
    case 'create-tap':
      return { kind: 'tap', name: op.name, ...(op.bridge ? { bridge: op.bridge } : {}) };
    case 'delete-tap': {
      const master = model.links.find((l) => l.name === op.name)?.master;
      return { kind: 'delete-tap', name: op.name, ...(master ? { bridge: master } : {}) };
    }
  }
}

/** The bridge "bridge my uplink" leaves behind, with the NIC's MAC so DHCP leases survive. */
export function persistIntentForUplink(model: HostModel, u: UplinkIntent): PersistIntent {
  const mac = model.links.find((l) => l.name === u.nic)?.mac ?? undefined;
  return {
    kind: 'bridge',
    bridge: u.bridge,
    stp: u.stp,
    ports: [u.nic],
    addresses: u.address ? [u.address] : [],
    ...(u.forwardDelay !== undefined ? { forwardDelay: u.forwardDelay } : {}),
    ...(u.gateway ? { gateway: u.gateway } : {}),
    ...(u.dhcp ? { dhcp: true } : {}),
    ...(mac ? { mac } : {}),
  };
}

export function persistIntentForBridge(b: CreateBridgeIntent): PersistIntent {
  return {
    kind: 'bridge',
    bridge: b.name,
    stp: b.stp,
    ports: b.ports ?? [],
    addresses: [],
    ...(b.forwardDelay !== undefined ? { forwardDelay: b.forwardDelay } : {}),
    ...(b.vlanFiltering ? { vlanFiltering: true } : {}),
  };
}

function bridgeOf(model: HostModel, name: string) {
  const br = model.bridges.find((b) => b.name === name);
  if (!br) throw new PlanInputError([`there is no bridge "${name}" on ${model.info.hostname}`]);
  return br;
}

/** The bridge as the inventory shows it, with `change` applied: what it should be at boot. */
export function persistIntentForBridgeState(model: HostModel, bridge: string, change: BridgeChange = {}): PersistBridge {
  const br = bridgeOf(model, bridge);
  const link = model.links.find((l) => l.name === bridge);
  const notes: string[] = [];
  const removePorts = change.removePorts ?? [];

  // A VM's tap is libvirt's (or QEMU's) to plug in each time the VM starts: not configuration.
  const vmOf = (port: string) => br.ports.find((p) => p.name === port)?.domain ?? vmOfTap(model, port) ?? null;
  const wanted = [...br.ports.map((p) => p.name).filter((p) => !removePorts.includes(p)), ...(change.addPorts ?? [])];
  const ports: string[] = [];
  const vmTaps: string[] = [];
  for (const p of new Set(wanted)) {
    const vm = vmOf(p);
    if (vm) vmTaps.push(`${p} (VM ${vm})`);
    else ports.push(p);
  }
  if (vmTaps.length) notes.push(`not saved as ports of ${bridge}: ${vmTaps.join(', ')}; libvirt or QEMU plugs a VM's tap in each time the VM starts`);

  // Addresses with a lifetime came from DHCP (IPv4) or router advertisements (IPv6): not static.
  const dynamic = new Set(link?.dynamicAddresses ?? []);
  let addresses = (link?.addresses ?? br.addresses).filter((a) => !dynamic.has(a));
  let dhcp = [...dynamic].some((a) => !isV6(a));
  const slaac = [...dynamic].filter(isV6);
  if (slaac.length)
    notes.push(
      `${slaac.join(', ')} came from router advertisements: not saved as static, the next advertisement brings ${slaac.length === 1 ? 'it' : 'them'} back`,
    );
  if (change.clearAddresses) {
    addresses = [];
    dhcp = false;
  }
  for (const a of change.removeAddresses ?? []) {
    addresses = addresses.filter((x) => x !== a);
    // Taking the lease off means no DHCP in the saved state either.
    if (dynamic.has(a) && !isV6(a)) dhcp = false;
  }
  for (const a of change.addAddresses ?? []) if (!addresses.includes(a)) addresses.push(a);
  if (change.dhcp) dhcp = true;

  // The static default route through the bridge, if any, while an address of its family stays.
  // With DHCP on, the lease brings the IPv4 gateway.
  const gw = model.routes
    .filter((r) => r.dst === 'default' && r.dev === bridge && r.gateway && r.protocol !== 'dhcp' && r.protocol !== 'ra')
    .filter((r) => !(dhcp && r.family === 'ipv4'))
    .filter((r) => addresses.some((a) => isV6(a) === (r.family === 'ipv6')))
    .sort((a, b) => (a.family === b.family ? 0 : a.family === 'ipv4' ? -1 : 1))[0];

  const stp = change.stp ?? br.stp;
  const delay = change.forwardDelay ?? br.forwardDelay;
  // The backends take 2-30 s; with STP off the delay does nothing (ports forward at once).
  const forwardDelay = delay !== null && Number.isInteger(delay) && delay >= 2 && delay <= 30 ? delay : undefined;
  if (forwardDelay === undefined && delay !== null && stp)
    notes.push(`the forward delay of ${delay} s is outside the 2-30 s that can be saved: ${bridge} comes up with the default 15 s`);
  // Keep the MAC (DHCP leases follow it), unless it was the MAC of a port that leaves.
  const leaving = new Set(removePorts.map((p) => model.links.find((l) => l.name === p)?.mac).filter(Boolean));
  const mac = br.mac && !leaving.has(br.mac) ? br.mac : undefined;
  const vlanFiltering = change.vlanFiltering ?? br.vlanFiltering;

  return {
    kind: 'bridge',
    bridge,
    stp,
    ports,
    addresses,
    ...(forwardDelay !== undefined ? { forwardDelay } : {}),
    ...(vlanFiltering ? { vlanFiltering: true } : {}),
    ...(gw?.gateway ? { gateway: gw.gateway } : {}),
    ...(dhcp ? { dhcp: true } : {}),
    ...(mac ? { mac } : {}),
    rewrite: { dropPorts: removePorts },
    ...(notes.length ? { notes } : {}),
  };
}
