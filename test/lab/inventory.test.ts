/**
 * Lab tier: `virtnet inventory` over real SSH against the seed host, checked against what the
 * host's own tools say (bridge -j link, virsh net-list, virsh domiflist, sysfs).
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { after, before, test } from 'node:test';
import { promisify } from 'node:util';
import type { HostModel } from '../../src/core/model/types';
import { labSkipReason, labUp, type LabHost } from './lab';

const run = promisify(execFile);
const skip = labSkipReason();
const CLI = new URL('../../dist/cli.js', import.meta.url).pathname;

let host: LabHost;
let model: HostModel;
let verboseLog = '';

before(
  async () => {
    if (skip) return;
    host = await labUp('seed', 11);
    await host.seed();
    const r = await run('node', [CLI, 'inventory', '--host', host.dest, '--ssh-config', host.sshConfig, '--json', '--verbose'], { maxBuffer: 64 << 20 });
    model = JSON.parse(r.stdout) as HostModel;
    verboseLog = r.stderr;
  },
  { timeout: 300_000 },
);

after(
  async () => {
    if (!skip) await host?.down();
  },
  { timeout: 120_000 },
);

async function onHost(argv: string[]): Promise<string> {
  const r = await host.exec(argv);
  assert.equal(r.code, 0, `${argv.join(' ')} failed on the lab host: ${r.stderr}`);
  return r.stdout;
}

test('one command (one round trip) read the whole host', { skip: skip ?? false }, () => {
  const commands = verboseLog.split('\n').filter((l) => / \$ /.test(l));
  assert.equal(commands.length, 1, `commands run:\n${commands.join('\n')}`);
});

test('bridges and ports match bridge -j link', { skip: skip ?? false }, async () => {
  const ports = JSON.parse(await onHost(['bridge', '-j', 'link', 'show'])) as { ifname: string; master?: string; state?: string }[];
  const truth = new Map<string, string[]>();
  for (const p of ports) {
    if (p.master) truth.set(p.master, [...(truth.get(p.master) ?? []), p.ifname].sort());
  }
  const seen = new Map(model.bridges.filter((b) => b.ports.length > 0).map((b) => [b.name, b.ports.map((p) => p.name).sort()]));
  assert.deepEqual(seen, truth);
  for (const p of ports) {
    const port = model.bridges.find((b) => b.name === p.master)?.ports.find((x) => x.name === p.ifname);
    assert.equal(port?.state, p.state ?? null, `state of ${p.ifname}`);
  }
});

test('the seed scenario is what the guide built', { skip: skip ?? false }, () => {
  const br9 = model.bridges.find((b) => b.name === 'br9');
  assert.ok(br9, 'br9 exists');
  assert.equal(br9.stp, true);
  assert.deepEqual(br9.addresses, [`${host.address}/24`]);
  assert.equal(br9.ports.find((p) => p.name === 'enp3s1')?.kind, 'veth');
  const vnet0 = br9.ports.find((p) => p.name === 'vnet0');
  assert.equal(vnet0?.kind, 'tap');
  assert.equal(vnet0?.domain, null, 'a raw QEMU tap belongs to no libvirt domain');
  const virbr0 = model.bridges.find((b) => b.name === 'virbr0');
  assert.deepEqual(virbr0?.addresses, ['192.168.122.1/24']);
  assert.ok(
    virbr0?.ports.some((p) => p.kind === 'tap' && p.domain === 'c7'),
    'c7 tap on virbr0',
  );
  assert.ok(
    model.routes.some((r) => r.dst === 'default' && r.dev === 'br9'),
    'default route via br9',
  );
});

test('STP and VLAN filtering match sysfs', { skip: skip ?? false }, async () => {
  for (const b of model.bridges) {
    const stp = (await onHost(['cat', `/sys/class/net/${b.name}/bridge/stp_state`])).trim();
    // This kernel has no bridge VLAN filtering at all: the sysfs file is absent, which means off.
    const vf = (await onHost(['sh', '-c', 'cat "$1" 2>/dev/null || echo 0', 'sh', `/sys/class/net/${b.name}/bridge/vlan_filtering`])).trim();
    assert.equal(b.stp, stp !== '0', `stp of ${b.name}`);
    assert.equal(b.vlanFiltering, vf === '1', `vlan_filtering of ${b.name}`);
  }
});

test('networks match virsh net-list, leases match net-dhcp-leases', { skip: skip ?? false }, async () => {
  const all = (await onHost(['virsh', '-q', 'net-list', '--all', '--name']))
    .split('\n')
    .map((s) => s.trim())
    .filter(Boolean)
    .sort();
  const active = (await onHost(['virsh', '-q', 'net-list', '--name']))
    .split('\n')
    .map((s) => s.trim())
    .filter(Boolean)
    .sort();
  assert.deepEqual(model.networks.map((n) => n.name).sort(), all);
  assert.deepEqual(
    model.networks
      .filter((n) => n.active)
      .map((n) => n.name)
      .sort(),
    active,
  );
  const leases = await onHost(['virsh', '-q', 'net-dhcp-leases', 'default']);
  const def = model.networks.find((n) => n.name === 'default');
  assert.ok(def && def.leases.length > 0, 'c7 has a lease');
  for (const l of def.leases) {
    assert.ok(leases.includes(l.mac) && leases.includes(l.ip), `lease ${l.mac} ${l.ip} is in virsh's table`);
  }
});

test('VM NICs match virsh domiflist', { skip: skip ?? false }, async () => {
  for (const name of ['c7', 'zxdb']) {
    const rows = (await onHost(['virsh', '-q', 'domiflist', name]))
      .split('\n')
      .map((l) => l.trim().split(/\s+/))
      .filter((f) => f.length >= 5);
    const dom = model.domains.find((d) => d.name === name);
    assert.ok(dom, `${name} listed`);
    // domiflist columns: Interface Type Source Model MAC ('-' when no tap).
    assert.deepEqual(
      dom.interfaces.map((i) => [i.target ?? '-', i.type, i.source, i.model, i.mac]),
      rows.map(([tap, type, source, model, mac]) => [tap, type, source, model, mac]),
    );
  }
  assert.equal(model.domains.find((d) => d.name === 'c7')?.state, 'running');
  assert.equal(model.domains.find((d) => d.name === 'zxdb')?.state, 'shut off');
});

test('PCI network devices match sysfs', { skip: skip ?? false }, async () => {
  const out = await onHost([
    'sh',
    '-c',
    'for d in /sys/bus/pci/devices/*; do c=$(cat $d/class); case $c in 0x02*) echo "$(basename $d) $c $(cat $d/vendor) $(cat $d/device)";; esac; done',
  ]);
  const truth = out.split('\n').filter(Boolean).sort();
  const seen = model.pciDevices
    .filter((p) => p.class.startsWith('0x02'))
    .map((p) => `${p.address} ${p.class} 0x${p.vendorId} 0x${p.deviceId}`)
    .sort();
  assert.deepEqual(seen, truth);
});
