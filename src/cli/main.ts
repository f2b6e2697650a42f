/**
 * `virtnet`: the command line over VirtNet's core, for scripts and tests. The change commands
 * come from the operation catalog (options.ts); their exit codes are in change.ts. `inventory`
 * exits 0 read, 1 the host could not be read, 2 bad usage.
 */
import { parseArgs } from 'node:util';
import { collectInventory } from '../core/collect/collect';
import { oneLineReason } from '../core/exec/errors';
import { executorFor } from '../core/exec/index';
import { validateSshDestination } from '../core/exec/ssh';
import { AREAS, operationForCli } from '../core/ops/catalog/index';
import { runApplyFile } from './applyFile';
import { reportClaimed, runChange } from './change';
import { stderrLog, UsageError } from './common';
import { runJournal } from './journal';
import { runForwardList } from './forwardList';
import { runVmCmdline } from './vmCmdline';
import { changeOptionsUsage, changesUsage, operationHelp } from './options';
import { askPasswordOnTty } from './password';
import { renderInventory } from './render';

const USAGE = `Usage: virtnet <command> [options]

Reading:
  inventory [--host <dest>] [--json]    A host's bridges, libvirt networks, VMs, PCI/SR-IOV
                                        devices and readiness
  journal [--host <dest>] [--json]      The plans VirtNet ran on the host this week, and how
                                        each ended
  forward list [--host <dest>] [--json] Every port forward: VirtNet's, passt's, and DNAT rules
                                        written by hand
  vm-cmdline (--network N | --bridge BR | --direct IF [--mode M] | --user [--passt]
             [--forward [udp:]H:G]... | --pci ADDR | --vf ADDR | --none) [--model M] [--mac MAC]
             [--name VM] [--memory MIB] [--tap NAME] [--format virt-install|qemu|xml|all]
                                        A new VM's virt-install and QEMU lines and libvirt XML
                                        for that NIC, checked against the host

Changes:
${changesUsage()}
  apply <plan.json> [--host <dest>] [--yes]
      Apply a plan saved with --save-plan (refused if the host changed or is another host)

A change reads the host, prints the plan (each step in short; --verbose for the exact command
and its undo), asks, then applies the whole plan in one round trip, on the host under its lock
and detached from the session: a failing step undoes the steps before it, and a lost connection
never stops a plan half-way. A plan that touches the interface carrying the SSH session runs
guarded: a rollback is armed first, and a fresh connection must get through to keep the change.

Options of every change:
${changeOptionsUsage()}

Exit: 0 applied; 1 failed (what ran was undone); 2 refused or bad usage (nothing ran); 3 the
change cut the connection and the host rolled itself back; 4 the host changed since the plan was
made, or is another host (nothing ran); 5 another plan held the host (nothing ran); 6 the
connection was lost during the plan (the host finishes or undoes it; the next command says how).

Options of inventory:
  --host <dest>        SSH destination (anything ssh accepts: alias, user@host, ssh://...);
                       without it, the local machine
  --json               Print the host model as JSON
  --ssh-config <file>  Use this ssh config file instead of ~/.ssh/config
  --timeout <seconds>  Give up after this long (default 60)
  --verbose            Log every command run (to stderr)
  -h, --help           This help
`;

async function inventory(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      host: { type: 'string' },
      json: { type: 'boolean', default: false },
      'ssh-config': { type: 'string' },
      timeout: { type: 'string' },
      verbose: { type: 'boolean', default: false },
    },
    strict: true,
    allowPositionals: false,
  });
  const timeoutSec = values.timeout === undefined ? 60 : Number(values.timeout);
  if (!Number.isFinite(timeoutSec) || timeoutSec <= 0) {
    throw new UsageError(`--timeout must be a positive number of seconds, not "${values.timeout}"`);
  }
  if (values.host !== undefined && values.host !== 'local') {
    const invalid = validateSshDestination(values.host);
    if (invalid) {
      throw new UsageError(invalid);
    }
  }
  const executor = executorFor(values.host, {
    configFile: values['ssh-config'],
    // The connection must not outlive the overall limit.
    connectTimeoutSec: Math.max(1, Math.min(10, Math.floor(timeoutSec))),
    log: values.verbose ? stderrLog : undefined,
    askPassword: askPasswordOnTty,
  });
  try {
    const model = await collectInventory(executor, { timeoutMs: timeoutSec * 1000 });
    reportClaimed(model);
    process.stdout.write(values.json ? `${JSON.stringify(model, null, 2)}\n` : renderInventory(model));
    return 0;
  } finally {
    await executor.dispose();
  }
}

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case 'inventory':
        return await inventory(rest);
      case 'journal':
        return await runJournal(rest);
      case 'apply':
        return await runApplyFile(rest);
      case 'vm-cmdline':
        return await runVmCmdline(rest);
      case undefined:
      case '-h':
      case '--help':
      case 'help':
        process.stdout.write(USAGE);
        return command === undefined ? 2 : 0;
      default: {
        if (!AREAS.includes(command as (typeof AREAS)[number])) throw new UsageError(`unknown command "${command}"`);
        const [word, ...args] = rest;
        // The one read-only word of an area: every forward of the host, whoever made it.
        if (command === 'forward' && word === 'list') return await runForwardList(args);
        const op = operationForCli(command, word ?? '');
        if (!op) throw new UsageError(`unknown command "${`${command} ${word ?? ''}`.trim()}"`);
        if (args.includes('--help') || args.includes('-h')) {
          process.stdout.write(operationHelp(op));
          return 0;
        }
        return await runChange(op, args);
      }
    }
  } catch (err) {
    if (err instanceof UsageError || (err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      process.stderr.write(`virtnet: ${(err as Error).message}\n${command === undefined ? USAGE : 'Run "virtnet --help" for usage.\n'}`);
      return 2;
    }
    process.stderr.write(`virtnet: ${oneLineReason(err)}\n`);
    return 1;
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`virtnet: internal error: ${err instanceof Error ? err.stack : String(err)}\n`);
    process.exitCode = 1;
  },
);
