/** Runs commands on the machine VirtNet itself runs on. */
import { BaseExecutor, type ExecutorOptions } from './executor';
import type { FailureKind } from './errors';
import type { SpawnOutcome } from './spawn';

export class LocalExecutor extends BaseExecutor {
  readonly kind = 'local' as const;

  constructor(options: ExecutorOptions = {}) {
    super('local', options);
  }

  protected transport(argv: readonly string[]): string[] {
    return [...argv];
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
