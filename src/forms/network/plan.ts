/**
 * A Create Network draft becomes a real plan through the catalog's network.create operation and
 * the one planChange the commands and the CLI use, so the preview in the form is what Apply runs.
 */
import type { HostModel } from '../../core/model/types';
import { operation } from '../../core/ops/catalog/index';
import type { Args } from '../../core/ops/catalog/types';
import { planChange, type Change } from '../../core/ops/change';
import { PlanInputError } from '../../core/ops/plan';
import { fieldProblems, forwardersOf, ownBridge, wholeOf } from './checks';
import type { Draft, NetworkFormData } from './draft';
import { FORWARD_MODES, FORWARD_MODE_HELP } from '../../core/ops/libvirt/networkCreate';
import { freeBridgeName, freeSubnet, networkDevCandidates } from '../../core/ops/libvirt/networkRoom';

const lines = (list: string[]) => list.map((l) => l.trim()).filter((l) => l !== '');
const text = (t: string) => (t.trim() === '' ? undefined : t.trim());

/** The arguments of network.create a draft stands for; fields its mode does not use are left out. */
export function draftArgs(d: Draft): Args {
  const own = ownBridge(d);
  const base: Args = { name: d.name, forward: d.forward, dev: text(d.dev), autostart: d.autostart };
  if (!own) return base;
  return {
    ...base,
    bridgeName: text(d.bridgeName),
    // STP on with no delay is libvirt's default: the XML spells it out either way.
    stp: d.stp,
    delay: wholeOf(d.delay),
    address: text(d.address),
    dhcpRange: lines(d.dhcpRanges),
    dhcpHost: lines(d.dhcpHosts),
    ipv6: text(d.ipv6),
    ipv6Range: lines(d.ipv6Ranges),
    domain: text(d.domain),
    forwarder: forwardersOf(d.forwarders),
    mtu: wholeOf(d.mtu),
    isolatePorts: d.isolatePorts,
  };
}

/** The plan of a draft; throws PlanInputError listing every problem when it cannot be planned. */
export function planDraft(model: HostModel, draft: Draft, now: Date): Change {
  // The form's own checks first: they catch text the planner would misread (e.g. "3x" seconds).
  const own = Object.values(fieldProblems(draft, { networks: model.networks.map((n) => n.name), taken: takenNames(model) }));
  if (own.length) throw new PlanInputError(own);
  return planChange(model, operation('network.create')!, draftArgs(draft), 'none', now);
}

/** What the form draws from, out of the host's model. */
export function formData(model: HostModel): NetworkFormData {
  return {
    devices: Object.fromEntries(FORWARD_MODES.map((m) => [m, networkDevCandidates(model, m)])),
    modes: FORWARD_MODES.map((m) => ({ name: m, detail: FORWARD_MODE_HELP[m] })),
    networks: model.networks.map((n) => n.name),
    taken: takenNames(model),
    freeBridge: freeBridgeName(model),
    freeSubnet: freeSubnet(model),
  };
}

/** Interface names and the bridges libvirt's networks hold (running or not). */
export function takenNames(model: HostModel): string[] {
  return [...new Set([...model.links.map((l) => l.name), ...model.networks.map((n) => n.bridge).filter((b): b is string => b !== null)])];
}
