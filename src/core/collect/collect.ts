/**
 * Reads a host's whole networking picture in one round trip: the collector script goes to the
 * host on stdin, runs there once, and its single output becomes the host model.
 */
import { randomBytes } from 'node:crypto';
import type { Executor } from '../exec/types';
import type { HostModel } from '../model/types';
import { buildHostModel, DEFAULT_LIBVIRT_URI } from './build';
import { COLLECTOR_SCRIPT } from './script';

export interface CollectOptions {
  /** libvirt URI to read; qemu:///system unless the caller knows better. */
  libvirtUri?: string;
  timeoutMs?: number;
  signal?: AbortSignal;
}

/**
 * The script travels in the command line itself (`bash -c SCRIPT`), not on stdin: the host can
 * start at once instead of waiting for stdin's end, and stdin stays free for a sudo password.
 * `$0` names it in `ps`; `$1` is the nonce, `$2` the libvirt URI.
 */
export const COLLECTOR_LAUNCHER = ['bash', '-c', COLLECTOR_SCRIPT, 'virtnet-collector'];

export async function collectInventory(executor: Executor, options: CollectOptions = {}): Promise<HostModel> {
  const nonce = randomBytes(6).toString('hex');
  const collectedAt = new Date();
  const libvirtUri = options.libvirtUri ?? DEFAULT_LIBVIRT_URI;
  const result = await executor.run([...COLLECTOR_LAUNCHER, nonce, libvirtUri], {
    root: 'if-available',
    timeoutMs: options.timeoutMs ?? 60_000,
    signal: options.signal,
    label: 'virtnet collector (read-only inventory script)',
  });
  return buildHostModel({ host: executor.host, output: result.stdout, nonce, asRoot: result.asRoot, collectedAt, libvirtUri });
}
