/**
 * `virtnet journal [--host H] [--json]`: the newest plans VirtNet ran on a host (from its
 * journals under /run/virtnet, kept a week) and what became of each.
 */
import { parseArgs } from 'node:util';
import { recordLine } from '../core/ops/journal';
import { openExecutor, readHost } from './change';
import { UsageError } from './common';

export async function runJournal(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    options: { host: { type: 'string' }, 'ssh-config': { type: 'string' }, json: { type: 'boolean' }, verbose: { type: 'boolean' } },
    allowPositionals: true,
    strict: true,
  });
  if (positionals.length) throw new UsageError('usage: virtnet journal [--host <dest>] [--json]');
  const executor = openExecutor(values);
  try {
    const model = await readHost(executor);
    if (values.json) {
      process.stdout.write(`${JSON.stringify(model.plans, null, 2)}\n`);
    } else if (!model.info.root) {
      process.stdout.write(`${model.info.hostname}: the journal needs root (passwordless sudo or a root login) to be read\n`);
    } else if (model.plans.length === 0) {
      process.stdout.write(`${model.info.hostname}: no plans in the last week\n`);
    } else {
      for (const r of model.plans) process.stdout.write(`${r.id}  ${recordLine(r)}\n`);
    }
    return 0;
  } finally {
    await executor.dispose();
  }
}
