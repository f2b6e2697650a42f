/**
 * `virtnet`: the command line over VirtNet's core, for scripts and tests.
 * Exit codes: 0 success; 1 the host could not be read or the operation failed; 2 bad usage.
 */
import { parseArgs } from 'node:util';
import { collectInventory } from '../core/collect/collect';
import { oneLineReason } from '../core/exec/errors';
import { executorFor } from '../core/exec/index';
import { validateSshDestination } from '../core/exec/ssh';
import { askPasswordOnTty } from './password';
import { stderrLog, UsageError } from './common';
import { PLANNERS, runPlanCommand } from './plans';
import { renderInventory } from './render';

const USAGE = `Usage: virtnet <command> [options]

Commands:
  inventory                              Read a host's bridges, libvirt networks, VMs, PCI/SR-IOV
                                         devices and readiness
  bridge create <name> [--stp on|off] [--forward-delay S] [--port <ifname>]...
  bridge add-port <bridge> <ifname>
  bridge remove-port <bridge> <ifname>
  bridge stp <bridge> on|off
  bridge delete <bridge> [--force]
  bridge address <ifname> [--add <cidr>]... [--del <cidr>]... [--clear] [--dhcp]
  bridge uplink <nic> --bridge <name> (--dhcp | --address <cidr> [--gateway <ip>])
        [--stp on|off] [--forward-delay S] [--rollback-seconds N]
                                         Move the host's addresses and routes from a NIC onto
                                         a new bridge holding that NIC
  tap create <name> [--bridge <bridge>]
  tap delete <name>

Changes read the host, print the plan (each step's command and its undo), ask, then apply the
whole plan in one round trip; a failing step undoes the steps before it. They take --host,
--ssh-config, --verbose and: --dry-run (print the plan, run nothing), --yes (no question),
--script (print the plan as a shell script). A plan that touches the interface carrying the
SSH session runs guarded: a rollback is armed on the host first (--rollback-seconds, default
above STP settling), and a fresh connection must get through to keep the change; --no-guard
applies without it. Exit: 0 applied, 2 input refused (nothing ran), 3 applied but the connection
was lost and the host rolled itself back, 1 any other failure (what was done was undone).

Options:
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
      case 'bridge':
      case 'tap': {
        const [sub, ...args] = rest;
        const key = `${command} ${sub ?? ''}`;
        if (!PLANNERS[key]) {
          throw new UsageError(`unknown command "${key.trim()}"`);
        }
        return await runPlanCommand(key, args);
      }
      case undefined:
      case '-h':
      case '--help':
      case 'help':
        process.stdout.write(USAGE);
        return command === undefined ? 2 : 0;
      default:
        throw new UsageError(`unknown command "${command}"`);
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
