/**
 * Reads a host's whole networking picture in one round trip: the collector script goes to the
 * host on stdin, runs there once, and its single output becomes the host model.
 */
import { randomBytes } from 'node:crypto';
import type { Executor } from '../exec/types';
import type { HostModel } from '../model/types';
import { buildHostModel } from './build';
import { COLLECTOR_SCRIPT } from './script';

export interface CollectOptions {
  /** libvirt URI to read; qemu:///system unless the caller knows better. */
  libvirtUri?: string;
  timeoutMs?: number;
  signal?: AbortSignal;
}

/**
 * Reads the whole script before running any of it, then detaches stdin: no command inside can
 * swallow the rest of the script, and a sudo password line (when used) is consumed first.
 */
export const COLLECTOR_LAUNCHER = ['bash', '-c', 'script=$(cat) && exec </dev/null && eval "$script"', 'virtnet-collector'];

export async function collectInventory(executor: Executor, options: CollectOptions = {}): Promise<HostModel> {
  const nonce = randomBytes(6).toString('hex');
  const collectedAt = new Date();
  const result = await executor.run([...COLLECTOR_LAUNCHER, nonce, options.libvirtUri ?? 'qemu:///system'], {
    input: COLLECTOR_SCRIPT,
    root: 'if-available',
    timeoutMs: options.timeoutMs ?? 60_000,
    signal: options.signal,
    label: 'virtnet collector (read-only inventory script)',
  });
  return buildHostModel({ host: executor.host, output: result.stdout, nonce, asRoot: result.asRoot, collectedAt });
}
