/** What the CLI's commands share: the usage error (exit 2) and the --verbose command log. */
import type { CommandLog } from '../core/exec/types';

/** Bad usage: exit 2, nothing contacted. */
export class UsageError extends Error {}

export const stderrLog: CommandLog = {
  info: (m) => process.stderr.write(`virtnet: ${m}\n`),
  debug: () => {},
  error: (m) => process.stderr.write(`virtnet: ${m}\n`),
};
