/**
 * `virtnet apply FILE [--host H] [--yes]`: a plan saved with --save-plan, shown and applied
 * later. The host is read again and the operation planned again with the saved time stamp; a
 * host that changed so that the plan would differ, or another host, refuses it (exit 4) and
 * nothing runs. Otherwise exactly the saved commands run, under the same checks as any change.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { parsePlanFile, PlanFileError, replan } from '../core/ops/savedPlan';
import { EXIT, openExecutor, readHost, showAndApply } from './change';
import { UsageError } from './common';
import { CHANGE_OPTIONS, type CommonValues } from './options';

const OWN = ['host', 'ssh-config', 'verbose', 'dry-run', 'yes', 'script', 'rollback-seconds', 'no-guard'] as const;

export async function runApplyFile(argv: string[]): Promise<number> {
  const options = Object.fromEntries(OWN.map((n) => [n, { type: CHANGE_OPTIONS[n].type }]));
  const { values, positionals } = parseArgs({ args: argv, options, allowPositionals: true, strict: true });
  if (positionals.length !== 1) throw new UsageError('usage: virtnet apply <plan.json> [--host <dest>] [--yes]');
  let file;
  try {
    file = parsePlanFile(readFileSync(positionals[0]!, 'utf8'));
  } catch (err) {
    if (err instanceof PlanFileError || (err as NodeJS.ErrnoException).code === 'ENOENT') throw new UsageError(`${positionals[0]}: ${(err as Error).message}`);
    throw err;
  }
  const common = values as CommonValues;
  // The host the plan was made on, unless the user names it another way.
  const executor = openExecutor({ ...common, host: typeof common.host === 'string' ? common.host : file.host.dest });
  try {
    process.stderr.write(`virtnet: plan "${file.plan.title}" made ${file.createdAt} for ${file.host.hostname} (${file.host.dest})\n`);
    const model = await readHost(executor);
    const r = replan(model, file);
    if (!r.ok) {
      process.stderr.write(
        `virtnet: refused, nothing ran: the host is not as the plan was made for; make a new plan:\n${r.problems.map((p) => `  - ${p}`).join('\n')}\n`,
      );
      return EXIT.changed;
    }
    return await showAndApply(executor, model, r.change, common);
  } finally {
    await executor.dispose();
  }
}
