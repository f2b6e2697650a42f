/**
 * `virtnet forward list [--host H] [--json]`: every port forward of a host in one list: VirtNet's
 * own (kept through restarts by its hooks), passt's (in a user-mode NIC's definition) and DNAT
 * rules written by hand (adoptable with `forward adopt`).
 */
import { parseArgs } from 'node:util';
import { forwardAmiss, nicHolding } from '../core/model/queries';
import type { HostModel } from '../core/model/types';
import { openExecutor, readHost } from './change';
import { UsageError } from './common';

export interface ListedForward {
  kind: 'virtnet' | 'passt' | 'hand';
  vm: string | null;
  proto: string;
  /** `ADDRESS:PORT[-END]` on the host (`*` for any address). */
  host: string;
  /** `IP:PORT` in the guest (passt: the guest port). */
  guest: string;
  /** VirtNet's: what the firewall lacks of it now (empty: in force). */
  amiss?: string[];
}

/** The host's forwards, VirtNet's first, in the order the host holds them. */
export function listForwards(model: HostModel): ListedForward[] {
  const out: ListedForward[] = model.forwards.map((f) => ({
    kind: 'virtnet',
    vm: f.vm,
    proto: f.proto,
    host: `${f.hostAddress ?? '*'}:${f.hostPort}`,
    guest: `${f.guestIp}:${f.guestPort}`,
    amiss: forwardAmiss(model.forwardsAmiss, f),
  }));
  for (const d of model.domains)
    for (const n of d.interfaces)
      for (const pf of n.portForwards)
        for (const r of pf.ranges.filter((x) => !x.exclude))
          out.push({
            kind: 'passt',
            vm: d.name,
            proto: pf.proto,
            host: `${pf.address ?? (pf.dev ? `dev ${pf.dev}` : '*')}:${r.start}${r.end ? `-${r.end}` : ''}`,
            guest: `:${r.to ?? r.start}`,
          });
  for (const h of model.handForwards) {
    const vm = nicHolding(model, h.guestIp)?.vm ?? null;
    out.push({ kind: 'hand', vm, proto: h.proto, host: `${h.hostAddress ?? '*'}:${h.hostPort}`, guest: `${h.guestIp}:${h.guestPort}` });
  }
  return out;
}

const KIND_TEXT = { virtnet: 'VirtNet', passt: 'passt', hand: 'by hand (adopt it)' } as const;

export async function runForwardList(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    options: { host: { type: 'string' }, 'ssh-config': { type: 'string' }, json: { type: 'boolean' }, verbose: { type: 'boolean' } },
    allowPositionals: true,
    strict: true,
  });
  if (positionals.length) throw new UsageError('usage: virtnet forward list [--host <dest>] [--json]');
  const executor = openExecutor(values);
  try {
    const model = await readHost(executor);
    const list = listForwards(model);
    if (values.json) process.stdout.write(`${JSON.stringify(list, null, 2)}\n`);
    else if (!list.length) process.stdout.write(`${model.info.hostname}: no port forwards\n`);
    else
      for (const f of list)
        process.stdout.write(
          `${f.proto.padEnd(4)} ${f.host.padEnd(22)} -> ${(f.vm ?? '?').padEnd(12)} ${f.guest.padEnd(22)} ${KIND_TEXT[f.kind]}${f.amiss?.length ? `, NOT IN FORCE: ${f.amiss.join('; ')} (virtnet forward reapply)` : ''}\n`,
        );
    return 0;
  } finally {
    await executor.dispose();
  }
}
