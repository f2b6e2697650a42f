/**
 * Live checks of the form's fields, run in the webview as the user types and again by the
 * extension before planning. They use the core's validators, so the form, the CLI and the
 * planners refuse the same names for the same reasons. No `vscode` import: bundled into the webview.
 */
import { checkCidr, checkIp, checkNewName } from '../../core/validate';
import type { Draft } from './draft';

export type Field = 'bridge' | 'forwardDelay' | 'ports' | 'nic' | 'address' | 'gateway';

/** Seconds as the planners take them: undefined for "kernel default", NaN when not a number. */
export function forwardDelayOf(draft: Draft): number | undefined {
  const t = draft.forwardDelay.trim();
  if (t === '') return undefined;
  return /^\d{1,3}$/.test(t) ? Number(t) : Number.NaN;
}

/** One message per field that is wrong now; fields not used by the draft's mode are skipped. */
export function fieldProblems(draft: Draft, taken: readonly string[]): Partial<Record<Field, string>> {
  const out: Partial<Record<Field, string>> = {};
  const name = checkNewName(draft.bridge, 'bridge name');
  if (name) out.bridge = name;
  else if (taken.includes(draft.bridge)) out.bridge = `an interface named "${draft.bridge}" already exists`;

  const fd = forwardDelayOf(draft);
  if (fd !== undefined && (!Number.isInteger(fd) || fd < 2 || fd > 30)) {
    out.forwardDelay = 'forward delay is a whole number of seconds from 2 to 30';
  }
  if (draft.mode === 'create') {
    if (new Set(draft.ports).size !== draft.ports.length) out.ports = 'a port is listed twice';
    return out;
  }
  if (draft.nic === '') out.nic = "choose the NIC that carries the host's uplink";
  if (draft.addressing === 'static') {
    const cidr = draft.address.trim() === '' ? 'give the bridge an address with its prefix, like 192.168.9.10/24' : checkCidr(draft.address.trim());
    if (cidr) out.address = cidr;
    if (draft.gateway.trim() !== '') {
      const gw = checkIp(draft.gateway.trim());
      if (gw) out.gateway = gw;
    }
  }
  return out;
}
