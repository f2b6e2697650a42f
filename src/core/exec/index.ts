/** Chooses the executor for a destination: `local` (or nothing) is this machine, else SSH. */
import { LocalExecutor } from './local';
import { SshExecutor, type SshOptions } from './ssh';
import type { Executor } from './types';

export function executorFor(destination: string | undefined, options: SshOptions = {}): Executor {
  if (destination === undefined || destination === '' || destination === 'local') {
    return new LocalExecutor(options);
  }
  return new SshExecutor(destination, options);
}
