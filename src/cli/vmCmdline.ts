/**
 * `virtnet vm-cmdline (--network N | --bridge BR | --direct IF [--mode M] | --user [--passt]
 * [--forward [udp:]HOST:GUEST]... | --pci ADDR | --vf ADDR | --none) [--model M] [--mac MAC]
 * [--name VM] [--memory MIB] [--tap NAME] [--format virt-install|qemu|xml|all] [--host H]`: the
 * guide's command lines for a new VM with this NIC, checked against the host (read-only).
 */
import { parseArgs } from 'node:util';
import { shJoin } from '../core/exec/quote';
import type { DirectMode } from '../core/ops/libvirt/nicAttach';
import { CmdlineInputError, cmdlinesText, vmCmdlines, type CmdlineNic, type HostFwd } from '../core/vmCmdline';
import { openExecutor, readHost } from './change';
import { UsageError } from './common';

const USAGE =
  'usage: virtnet vm-cmdline (--network N | --bridge BR | --direct IF [--mode M] | --user [--passt] [--forward [udp:]HOST:GUEST]... | --pci ADDR | --vf ADDR | --none) [--model M] [--mac MAC] [--name VM] [--memory MIB] [--tap NAME] [--format virt-install|qemu|xml|all] [--host H]';

function forwardOf(text: string): HostFwd {
  const m = /^(?:(tcp|udp):)?(\d{1,5}):(\d{1,5})$/.exec(text);
  if (!m) throw new UsageError(`--forward takes [tcp:|udp:]HOSTPORT:GUESTPORT, not "${text}"`);
  return { proto: (m[1] ?? 'tcp') as 'tcp' | 'udp', host: Number(m[2]), guest: Number(m[3]) };
}

export async function runVmCmdline(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    options: {
      host: { type: 'string' },
      'ssh-config': { type: 'string' },
      verbose: { type: 'boolean' },
      network: { type: 'string' },
      bridge: { type: 'string' },
      direct: { type: 'string' },
      mode: { type: 'string' },
      user: { type: 'boolean' },
      passt: { type: 'boolean' },
      forward: { type: 'string', multiple: true },
      pci: { type: 'string' },
      vf: { type: 'string' },
      none: { type: 'boolean' },
      model: { type: 'string' },
      mac: { type: 'string' },
      name: { type: 'string' },
      memory: { type: 'string' },
      tap: { type: 'string' },
      format: { type: 'string' },
    },
    allowPositionals: true,
    strict: true,
  });
  if (positionals.length) throw new UsageError(USAGE);
  const chosen: CmdlineNic[] = [];
  if (values.network) chosen.push({ type: 'network', network: values.network });
  if (values.bridge) chosen.push({ type: 'bridge', bridge: values.bridge });
  if (values.direct) chosen.push({ type: 'direct', dev: values.direct, mode: (values.mode ?? 'bridge') as DirectMode });
  if (values.user || values.passt) chosen.push({ type: 'user', passt: !!values.passt, forwards: (values.forward ?? []).map(forwardOf) });
  if (values.pci) chosen.push({ type: 'pci', address: values.pci });
  if (values.vf) chosen.push({ type: 'vf', address: values.vf });
  if (values.none) chosen.push({ type: 'none' });
  if (chosen.length !== 1) throw new UsageError(`say what the NIC is, once: ${USAGE}`);
  if (values.forward?.length && chosen[0]!.type !== 'user') throw new UsageError('--forward goes with --user or --passt');
  const format = values.format ?? 'all';
  if (!['virt-install', 'qemu', 'xml', 'all'].includes(format)) throw new UsageError(`--format takes virt-install, qemu, xml or all, not "${format}"`);
  const memory = values.memory === undefined ? undefined : Number(values.memory);
  if (memory !== undefined && !/^\d+$/.test(values.memory!)) throw new UsageError(`--memory takes MiB, a whole number, not "${values.memory}"`);

  const executor = openExecutor(values);
  try {
    const model = await readHost(executor);
    let lines;
    try {
      lines = vmCmdlines(model, {
        nic: chosen[0]!,
        ...(values.name ? { name: values.name } : {}),
        ...(values.model ? { model: values.model } : {}),
        ...(values.mac ? { mac: values.mac } : {}),
        ...(memory !== undefined ? { memoryMiB: memory } : {}),
        ...(values.tap ? { tap: values.tap } : {}),
      });
    } catch (e) {
      if (e instanceof CmdlineInputError) {
        for (const p of e.problems) process.stderr.write(`virtnet: ${p}\n`);
        return 2;
      }
      throw e;
    }
    const out: string[] = [];
    if (format === 'virt-install') out.push(shJoin(lines.virtInstall));
    else if (format === 'qemu') {
      if (!lines.qemu) throw new UsageError(`no raw QEMU line for this NIC: ${lines.notes.join('; ')}`);
      out.push(...lines.qemuSetup.map(shJoin), shJoin(lines.qemu));
    } else if (format === 'xml') out.push(lines.xml);
    else out.push(cmdlinesText(lines));
    process.stdout.write(`${out.join('\n')}\n`);
    for (const n of lines.notes) process.stderr.write(`note: ${n}\n`);
    for (const p of lines.problems) process.stderr.write(`virtnet: on ${model.info.hostname} now: ${p}\n`);
    return 0;
  } finally {
    await executor.dispose();
  }
}
