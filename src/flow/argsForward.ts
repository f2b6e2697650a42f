/** The pickers of the port-forward argument kinds. */
import { nicHolding } from '../core/model/queries';
import type { HostModel } from '../core/model/types';
import type { ArgSpec, Args, ArgValue } from '../core/ops/catalog/types';
import { hooksUnseen } from '../core/ops/forward/plan';
import { parsePortSpec } from '../core/ops/forward/state';
import { input, pick } from './pickers';

export async function askForwardArg(model: HostModel, spec: ArgSpec, args: Args, title: string): Promise<ArgValue | undefined> {
  switch (spec.kind) {
    case 'portSpec': {
      const v = await input(title, 'Host port (or FIRST-LAST) : guest port', '19922:22', (t) => {
        const spec = parsePortSpec(t);
        return typeof spec === 'string' ? spec : null;
      });
      return v;
    }
    case 'proto':
      return pick(
        [
          { label: 'tcp', description: 'ssh, http...', value: 'tcp' },
          { label: 'udp', description: 'dns, games, VPNs...', value: 'udp' },
        ],
        title,
        'Protocol',
        '',
      );
    case 'forwardedPort': {
      const vm = typeof args.domain === 'string' ? args.domain : '';
      const passt = (model.domains.find((d) => d.name === vm)?.interfaces ?? []).flatMap((n) =>
        n.portForwards.flatMap((pf) =>
          pf.ranges
            .filter((r) => !r.exclude)
            .map((r) => ({
              label: `${pf.proto} ${r.start}${r.end ? `-${r.end}` : ''}`,
              description: `→ ${r.to ?? r.start} (passt, NIC ${n.mac})`,
              value: `${r.start}/${pf.proto}`,
            })),
        ),
      );
      return pick(
        [
          ...model.forwards
            .filter((f) => f.vm === vm)
            .map((f) => ({
              label: `${f.proto} ${f.hostPort}`,
              description: `→ ${f.guestIp}:${f.guestPort}${f.hostAddress ? ` (on ${f.hostAddress})` : ''}`,
              value: `${f.hostPort}/${f.proto}`,
            })),
          ...passt,
        ],
        title,
        'Forwarded port',
        `${vm} has no port forwards`,
      );
    }
    case 'handForward': {
      return pick(
        model.handForwards
          .filter((h) => nicHolding(model, h.guestIp)?.vm === args.domain)
          .map((h) => ({
            label: `${h.proto} ${h.hostPort}`,
            description: `→ ${h.guestIp}:${h.guestPort} (written by hand)`,
            value: `${h.hostPort}/${h.proto}`,
          })),
        title,
        'Hand-written forward',
        `no hand-written DNAT rule forwards to ${String(args.domain)}`,
      );
    }
    case 'restartLibvirt': {
      // Asked only where it matters: a daemon that has not seen a hook, under systemd.
      const unseen = hooksUnseen(model);
      if (!unseen.length || !model.libvirtHooks?.systemd) return undefined;
      return pick(
        [
          { label: `Restart ${unseen.join(' and ')} now`, description: 'running guests keep running; virsh and VS Code reconnect', value: true },
          { label: 'Later', description: 'until it restarts, a guest or network restart drops the forward', value: false },
        ],
        title,
        `libvirt reads hook scripts only when it starts: ${unseen.join(' and ')} would not run VirtNet's yet`,
        '',
      );
    }
    default:
      throw new Error(`askForwardArg: ${spec.kind} is not a forward argument`);
  }
}
