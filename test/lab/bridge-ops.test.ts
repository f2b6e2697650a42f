/**
 * Lab tier: bridge and tap operations through the CLI over real SSH, checked against the host;
 * a step failing mid-plan leaves the host as it was; hostile names stay names.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { collectInventory } from '../../src/core/collect/collect';
import { SshExecutor } from '../../src/core/exec/ssh';
import { applyPlan } from '../../src/core/ops/apply';
import { planCreateBridge } from '../../src/core/ops/bridge';
import { onLab } from './cli';
import { labSkipReason, labUp, type LabHost } from './lab';

const skip = labSkipReason();
const opts = { skip: skip ?? false, timeout: 120_000 };
let host: LabHost;
const cli = (...args: string[]) => onLab(host)(...args);

before(
  async () => {
    if (skip) return;
    host = await labUp('ops', 16, { libvirt: false });
  },
  { timeout: 180_000 },
);

after(
  async () => {
    if (!skip) await host?.down();
  },
  { timeout: 120_000 },
);

/** What `ip -j -d link` says of one interface (the fields these tests read). */
interface IpLink {
  master?: string;
  flags: string[];
  linkinfo?: { info_kind?: string; info_data?: { stp_state?: number; forward_delay?: number } };
}

async function link(name: string): Promise<IpLink | null> {
  const r = await host.exec(['ip', '-j', '-d', 'link', 'show', 'dev', name]);
  return r.code === 0 ? ((JSON.parse(r.stdout) as IpLink[])[0] ?? null) : null;
}

test('create a bridge with STP and a tap on it, change it, take it apart', opts, async () => {
  let r = await cli('bridge', 'create', 'br10', '--stp', 'on', '--forward-delay', '4', '--yes');
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /ip link add name br10 type bridge stp_state 1 forward_delay 400/);
  const br = await link('br10');
  assert.equal(br?.linkinfo?.info_data?.stp_state, 1);
  assert.equal(br?.linkinfo?.info_data?.forward_delay, 400);
  assert.ok(br?.flags.includes('UP'));

  r = await cli('tap', 'create', 'vnet7', '--bridge', 'br10', '--yes');
  assert.equal(r.code, 0, r.stderr);
  assert.equal((await link('vnet7'))?.master, 'br10');
  assert.equal((await link('vnet7'))?.linkinfo?.info_kind, 'tun');

  r = await cli('bridge', 'remove-port', 'br10', 'vnet7', '--yes');
  assert.equal(r.code, 0, r.stderr);
  assert.equal((await link('vnet7'))?.master, undefined);
  r = await cli('bridge', 'add-port', 'br10', 'vnet7', '--yes');
  assert.equal(r.code, 0, r.stderr);
  assert.equal((await link('vnet7'))?.master, 'br10');
  r = await cli('bridge', 'stp', 'br10', 'off', '--yes');
  assert.equal(r.code, 0, r.stderr);
  assert.equal((await link('br10'))?.linkinfo?.info_data?.stp_state, 0);

  // The inventory sees what the operations made.
  const inv = JSON.parse((await cli('inventory', '--json')).stdout);
  const b = inv.bridges.find((x: { name: string }) => x.name === 'br10');
  assert.deepEqual(
    b.ports.map((p: { name: string; kind: string }) => [p.name, p.kind]),
    [['vnet7', 'tap']],
  );

  r = await cli('tap', 'delete', 'vnet7', '--yes');
  assert.equal(r.code, 0, r.stderr);
  assert.equal(await link('vnet7'), null);
  r = await cli('bridge', 'delete', 'br10', '--yes');
  assert.equal(r.code, 0, r.stderr);
  assert.equal(await link('br10'), null);
});

test('refused input changes nothing and exits 2', opts, async () => {
  const before = (await host.exec(['ip', '-br', 'link'])).stdout;
  for (const args of [
    ['bridge', 'create', 'enp3s1', '--yes'],
    ['bridge', 'create', 'x'.repeat(16), '--yes'],
    ['bridge', 'create', 'br11', '--port', 'nosuch', '--yes'],
    ['bridge', 'stp', 'nosuch', 'on', '--yes'],
    ['bridge', 'create', 'br11', '--stp', 'maybe', '--yes'],
    ['tap', 'delete', 'enp3s1', '--yes'],
  ]) {
    const r = await cli(...args);
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
  }
  assert.equal((await host.exec(['ip', '-br', 'link'])).stdout, before);
});

test('--persist previews the exact files; --dry-run writes nothing; a backend the host does not use is refused', opts, async () => {
  // Lab hosts share the machine's /etc, so persistence is only ever previewed here, never
  // applied (the backends' files are checked by the real tools in the unit tier).
  const r = await cli('bridge', 'create', 'br5', '--stp', 'on', '--persist', 'networkd', '--dry-run');
  if (r.code === 2 && /not networkd|managed by/.test(r.stderr)) {
    // A machine whose detected manager is not networkd: the refusal itself is what we check.
    assert.match(r.stderr, /use --persist \w+/);
  } else {
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /file \/etc\/systemd\/network\/05-virtnet-br5\.netdev \(mode 644\):\n(    \| .*\n)*    \| Kind=bridge/);
  }
  assert.notEqual((await host.exec(['test', '-e', '/etc/systemd/network/05-virtnet-br5.netdev'])).code, 0, 'nothing written');
  assert.equal(await link('br5'), null, 'nothing created');
  const bad = await cli('bridge', 'create', 'br5', '--persist', 'floppy', '--dry-run');
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /--persist must be one of none, /);
});

test('hostile names: refused for anything VirtNet creates; existing ones are operated on, literally', opts, async () => {
  for (const name of ['br0;reboot', '$(id)', 'br`id`']) {
    const r = await cli('bridge', 'create', name, '--yes');
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /may only contain letters, digits, "-", "_" and "\."/);
    assert.equal(await link(name), null, 'nothing created');
    // One made by someone else is still shown and can be deleted: the name reaches ip as a word.
    assert.equal((await host.exec(['ip', 'link', 'add', 'name', name, 'type', 'bridge'])).code, 0);
    const inv = JSON.parse((await cli('inventory', '--json')).stdout) as { bridges: { name: string }[] };
    assert.ok(
      inv.bridges.some((b) => b.name === name),
      `${name} is in the inventory`,
    );
    assert.equal((await cli('bridge', 'delete', name, '--yes')).code, 0);
    assert.equal(await link(name), null);
  }
});

test('a step failing mid-plan: the steps before it are undone, in one round trip', opts, async () => {
  assert.equal((await host.exec(['ip', 'tuntap', 'add', 'dev', 'vnet8', 'mode', 'tap'])).code, 0);
  const commands: string[] = [];
  const ex = new SshExecutor(host.dest, { configFile: host.sshConfig, log: { info: (m) => m.includes(' $ ') && commands.push(m), debug() {}, error() {} } });
  try {
    const model = await collectInventory(ex);
    const plan = planCreateBridge(model, { name: 'br12', stp: false, ports: ['vnet8'] });
    // The world changes between preview and apply: the port is gone.
    assert.equal((await host.exec(['ip', 'tuntap', 'del', 'dev', 'vnet8', 'mode', 'tap'])).code, 0);
    commands.length = 0;
    // The plan's facts catch it on the host, before step 1: nothing runs (exit 4 in the CLI).
    const refused = await applyPlan(ex, plan);
    assert.equal(refused.ok, false);
    assert.deepEqual(refused.changed, ['vnet8 does not exist']);
    assert.equal(refused.failedStep, null);
    assert.equal(commands.length, 1, 'one round trip');
    assert.equal(await link('br12'), null, 'nothing ran');
    // Without them, step 2 fails on the host and step 1 is undone, in one round trip too.
    commands.length = 0;
    const result = await applyPlan(ex, { ...plan, before: [] });
    assert.equal(result.ok, false);
    assert.equal(result.failedStep, 2);
    assert.match(result.stderr, /vnet8/);
    assert.equal(commands.length, 1, 'one round trip');
    assert.equal(await link('br12'), null, 'the bridge made by step 1 was removed');
  } finally {
    await ex.dispose();
  }
});
