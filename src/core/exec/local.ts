/** Runs commands on the machine VirtNet itself runs on. */
import type { CancelSignal } from './cancel';
import { BaseExecutor, type CancellableRun, type ExecutorOptions } from './executor';
import type { FailureKind } from './errors';
import type { SpawnOutcome } from './spawn';

export class LocalExecutor extends BaseExecutor {
  readonly kind = 'local' as const;

  constructor(options: ExecutorOptions = {}) {
    super('local', options);
  }

  /**
   * A cancellable run starts as its own session and process group, so a cancel reaches the
   * command's children too (a plan's current step), not just the process we started.
   */
  protected override readonly detachCancellable = true;

  protected transport(argv: readonly string[]): string[] {
    return [...argv];
  }

  protected async interrupt(run: CancellableRun, signal: CancelSignal): Promise<void> {
    if (run.pid === undefined) return;
    try {
      // Through sudo the command runs as root; sudo itself relays the signal to it.
      process.kill(-run.pid, `SIG${signal}`);
    } catch {
      // ESRCH: the group is gone already.
    }
  }

  protected transportFailure(_outcome: SpawnOutcome): FailureKind | null {
    return null;
  }

  protected notFoundText(display: string): string {
    return `${display.split(' ')[0]}: command not found`;
  }

  async dispose(): Promise<void> {
    this.forgetPassword();
  }
}
