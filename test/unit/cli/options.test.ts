/**
 * The CLI's subcommands as the catalog generates them: usage lines, values parsed by kind, and
 * options of other subcommands refused by name (exit 2 in the CLI: a UsageError here).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CATALOG, operationForCli } from '../../../src/core/ops/catalog/index';
import { UsageError } from '../../../src/cli/common';
import { changesUsage, operationHelp, parseChange, usageLine } from '../../../src/cli/options';

const op = (area: string, word: string) => operationForCli(area, word)!;

test('usage lines come from the catalog: positionals, then options with their value hints', () => {
  assert.equal(usageLine(op('bridge', 'create')), 'bridge create <name> [--stp on|off] [--forward-delay <seconds>] [--port <ifname>]...');
  assert.equal(
    usageLine(op('bridge', 'uplink')),
    'bridge uplink <nic> --bridge <name> [--dhcp] [--address <cidr>] [--gateway <ip>] [--stp on|off] [--forward-delay <seconds>]',
  );
  assert.equal(usageLine(op('bridge', 'stp')), 'bridge stp <bridge> on|off');
  assert.equal(usageLine(op('tap', 'delete')), 'tap delete <name>');
  const all = changesUsage();
  for (const o of CATALOG) assert.ok(all.includes(usageLine(o)), `${o.id} is in the usage`);
});

test('values are parsed by kind', () => {
  const c = parseChange(op('bridge', 'create'), ['br10', '--stp', 'on', '--forward-delay', '4', '--port', 'a', '--port', 'b', '--host', 'kvm1', '--yes']);
  assert.deepEqual(c.args, { name: 'br10', stp: true, forwardDelay: 4, port: ['a', 'b'] });
  assert.deepEqual(c.common, { host: 'kvm1', yes: true });
  assert.deepEqual(parseChange(op('bridge', 'stp'), ['br9', 'off']).args, { bridge: 'br9', on: false });
  assert.deepEqual(parseChange(op('bridge', 'address'), ['br9', '--add', '10.0.0.1/24', '--dhcp']).args, { ifname: 'br9', add: ['10.0.0.1/24'], dhcp: true });
  assert.deepEqual(parseChange(op('bridge', 'delete'), ['br9', '--force']).args, { bridge: 'br9', force: true });
});

test('an option of another subcommand is refused by name; bad values and counts are usage errors', () => {
  const refused = (o: ReturnType<typeof op>, argv: string[], re: RegExp) =>
    assert.throws(
      () => parseChange(o, argv),
      (e: unknown) => e instanceof UsageError && re.test(e.message),
    );
  refused(op('tap', 'delete'), ['x', '--gateway', '1.2.3.4', '--force'], /tap delete does not take --gateway, --force/);
  refused(op('bridge', 'add-port'), ['br9', 'eth0', '--stp', 'on'], /does not take --stp/);
  refused(op('bridge', 'create'), ['br10', '--stp', 'maybe'], /takes "on" or "off", not "maybe"/);
  refused(op('bridge', 'create'), ['br10', '--forward-delay', 'soon'], /number of seconds/);
  refused(op('bridge', 'stp'), ['br9'], /usage: virtnet bridge stp <bridge> on\|off/);
  refused(op('bridge', 'uplink'), ['enp3s1', '--dhcp'], /--bridge is required/);
});

test('`virtnet <area> <word> --help` lists every argument of the operation with its description', () => {
  for (const op of CATALOG) {
    const help = operationHelp(op);
    assert.ok(help.startsWith(`virtnet ${usageLine(op)}\n`), op.id);
    for (const a of op.args) assert.ok(help.includes(a.description), `${op.id}: ${a.name}`);
  }
});
