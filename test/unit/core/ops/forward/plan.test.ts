/**
 * Planning port forwards on the captured seed lab host (c7 on the NAT network default with a
 * lease, zxdb on the host bridge br9): every refusal, all at once and before anything runs, and
 * the address a forward pins (the static host it has, its lease, or a free one outside the ranges).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fixtureModel, seedModel } from '../../../fixtures';
import type { HostModel } from '../../../../../src/core/model/types';
import { hooksUnseen, planForwardAdd, planForwardReapply, planForwardRemove, type ForwardAddIntent } from '../../../../../src/core/ops/forward/plan';
import { PlanInputError } from '../../../../../src/core/ops/plan';

const seed = seedModel();
const add = (model: HostModel, i: Partial<ForwardAddIntent>) =>
  planForwardAdd(model, { vm: 'c7', ports: '19922:22', proto: 'tcp', fromHost: false, force: false, ...i });
function refused(f: () => unknown): string[] {
  try {
    f();
  } catch (e) {
    if (e instanceof PlanInputError) return e.problems;
    throw e;
  }
  assert.fail('planned although it should be refused');
}
const lease = seed.networks.find((n) => n.name === 'default')!.leases.find((l) => l.mac === '52:54:00:c7:00:01')!.ip;

test('refused all at once: a listening port, one forwarded already, the ephemeral range, a bad host address', () => {
  const busy: HostModel = {
    ...seed,
    listening: [{ proto: 'tcp', address: '0.0.0.0', port: 8001 }],
    forwards: [
      {
        proto: 'tcp',
        hostPort: 8002,
        guestIp: lease,
        guestPort: 22,
        bridge: 'virbr0',
        hostAddress: null,
        fromHost: false,
        hairpin: null,
        vm: 'c7',
        mac: '52:54:00:c7:00:01',
      },
    ],
    ephemeralPorts: { low: 8003, high: 60999 },
  };
  const p = refused(() => add(busy, { ports: '8000-8003:80', hostAddress: '192.0.2.1' }));
  for (const want of [
    /tcp port 8001 is in use on .* \(something listens on 0\.0\.0\.0:8001\)/,
    /tcp port 8002 is forwarded already, to c7/,
    /ephemeral range 8003-60999/,
    /has no address 192\.0\.2\.1/,
  ])
    assert.ok(
      p.some((x) => want.test(x)),
      `${want} in\n${p.join('\n')}`,
    );
  // udp on the same numbers is another port; --force takes the ephemeral range.
  assert.doesNotThrow(() => add(busy, { ports: '8001-8003:80', proto: 'udp', force: true }));
});

test("a NIC on a host bridge, a VM with none forwardable, a NIC that is not the VM's: each said why", () => {
  const zxdb = refused(() => add(seed, { vm: 'zxdb' }));
  assert.ok(
    zxdb.some((x) => /zxdb has no NIC on a NAT or routed libvirt network/.test(x)),
    zxdb.join('\n'),
  );
  const nic = refused(() => add(seed, { vm: 'zxdb', mac: '52:54:00:2d:b0:01' }));
  assert.ok(
    nic.some((x) => /is on a bridge source: forwards go to NICs on NAT or routed/.test(x)),
    nic.join('\n'),
  );
  const other = refused(() => add(seed, { mac: '52:54:00:00:00:99' }));
  assert.ok(
    other.some((x) => /c7 has no NIC 52:54:00:00:00:99/.test(x)),
    other.join('\n'),
  );
  assert.ok(refused(() => add(seed, { vm: 'nosuch' }))[0]!.includes('no VM named "nosuch"'));
  assert.ok(refused(() => add(seed, { ports: '22' }))[0]!.includes('HOSTPORT[-END]:GUESTPORT'));
});

test('the address it pins: the lease (said so), else a free one outside the DHCP ranges; a static host pins nothing', () => {
  const fromLease = add(seed, {});
  assert.ok(
    fromLease.warnings.some((w) => w.includes(`${lease} (its lease) becomes a static DHCP host`)),
    fromLease.warnings.join('\n'),
  );
  assert.equal(fromLease.steps.filter((s) => s.kind === 'libvirt').length, 1);
  const noLease: HostModel = { ...seed, networks: seed.networks.map((n) => ({ ...n, leases: [] })) };
  const free = add(noLease, {});
  const w = free.warnings.find((x) => x.includes('has no lease'));
  assert.ok(w, free.warnings.join('\n'));
  // default's range is .2-.254 (libvirt's own default.xml): nothing is free outside it, so the
  // first free address inside it, which dnsmasq then leases to nobody else.
  assert.match(w!, /192\.168\.122\.2 becomes its static DHCP host/);
  const pinned: HostModel = {
    ...seed,
    networks: seed.networks.map((n) =>
      n.name !== 'default'
        ? n
        : { ...n, ips: n.ips.map((ip, k) => (k ? ip : { ...ip, dhcpHosts: [{ mac: '52:54:00:c7:00:01', id: null, name: 'c7', ip: lease, lease: null }] })) },
    ),
  };
  const plan = add(pinned, { ports: '8000-8002:9000' });
  assert.equal(plan.steps.filter((s) => s.kind === 'libvirt').length, 0, 'no static host to add');
  assert.match(plan.steps.at(-1)!.display, new RegExp(`forward tcp 8000-8002 → c7 ${lease.replace(/\./g, '\\.')}:9000-9002`));
});

test('remove: only what is there, saying what is', () => {
  const withOne: HostModel = {
    ...seed,
    forwards: [
      {
        proto: 'udp',
        hostPort: 5353,
        guestIp: lease,
        guestPort: 53,
        bridge: 'virbr0',
        hostAddress: null,
        fromHost: false,
        hairpin: null,
        vm: 'c7',
        mac: '52:54:00:c7:00:01',
      },
    ],
  };
  const p = refused(() => planForwardRemove(withOne, 'c7', '5353', 'tcp'));
  assert.match(p[0]!, /c7 has no tcp forward on port 5353 \(it has udp 5353\)/);
  assert.equal(planForwardRemove(withOne, 'c7', '5353', 'udp').steps.length, 2, 'the last one: the state, then the files');
});

test("--hairpin: the network's subnet is masqueraded towards the guest (said, with what the guest sees); off by default", () => {
  const on = add(seed, { hairpin: true });
  const state = on.steps.find((s) => s.argv.includes('virtnet-forwards'))!.argv[4]!;
  // default is 192.168.122.1/24: the subnet with its host bits cleared is the tenth word.
  assert.match(state, /^tcp 19922 \S+ 22 virbr0 - 0 c7 52:54:00:c7:00:01 192\.168\.122\.0\/24$/m, state);
  assert.ok(
    on.warnings.some((w) => /--hairpin: guests on default reach c7 .* come from the host \(192\.168\.122\.0\/24, masqueraded\)/.test(w)),
    on.warnings.join('\n'),
  );
  const off = add(seed, {});
  assert.match(off.steps.find((s) => s.argv.includes('virtnet-forwards'))!.argv[4]!, /52:54:00:c7:00:01 -$/m);
  assert.ok(!off.warnings.some((w) => /hairpin/.test(w)));
});

test("libvirt's hooks: a daemon that saw none at start is said, restarted only with consent and under systemd; one that saw them needs nothing", () => {
  // hooks.out: a lab host whose libvirtd restarted after a qemu.d hook was written (none for network).
  const captured = fixtureModel('collector/hooks.out', 'vnl-hk');
  assert.deepEqual(captured.libvirtHooks, {
    systemd: false,
    qemu: { daemon: 'libvirtd', pid: 31446, seen: true },
    network: { daemon: 'libvirtd', pid: 31446, seen: false },
  });
  assert.deepEqual(hooksUnseen(captured), ['libvirtd']);
  const unseen: HostModel = { ...seed, libvirtHooks: captured.libvirtHooks };
  const said = add(unseen, {});
  assert.ok(
    said.warnings.some((w) => /libvirtd found none when it did: until it restarts, a guest or network restart drops this forward/.test(w)),
    said.warnings.join('\n'),
  );
  assert.ok(!said.steps.some((s) => s.argv[0] === 'systemctl'), 'no restart without consent');
  assert.ok(
    refused(() => add(unseen, { restartLibvirt: true })).some((p) => /does not run libvirtd as a systemd service/.test(p)),
    'no systemd: refused',
  );
  const systemd: HostModel = { ...unseen, libvirtHooks: { ...captured.libvirtHooks!, systemd: true } };
  const restarted = add(systemd, { restartLibvirt: true });
  const last = restarted.steps.at(-1)!;
  assert.deepEqual(last.argv, ['systemctl', 'restart', 'libvirtd.service'], 'after the hooks and rules are in place');
  assert.equal(last.undo, null);
  // A modular host: each driver's own daemon; only the one that missed its hook restarts.
  const modular: HostModel = {
    ...seed,
    libvirtHooks: {
      systemd: true,
      qemu: { daemon: 'virtqemud', pid: 10, seen: true },
      network: { daemon: 'virtnetworkd', pid: 11, seen: false },
    },
  };
  assert.deepEqual(add(modular, { restartLibvirt: true }).steps.at(-1)!.argv, ['systemctl', 'restart', 'virtnetworkd.service']);
  const seen: HostModel = { ...modular, libvirtHooks: { ...modular.libvirtHooks!, network: { daemon: null, pid: null, seen: false } } };
  const quiet = add(seen, { restartLibvirt: true });
  assert.ok(!quiet.steps.some((s) => s.argv[0] === 'systemctl') && !quiet.warnings.some((w) => /hook/.test(w)), 'nothing to restart');
});

test('reapply: refused with no forward; otherwise one run of the sync script, promising every forward in force', () => {
  assert.ok(refused(() => planForwardReapply(seed)).some((p) => /has no VirtNet port forward to re-apply/.test(p)));
  const f = {
    proto: 'tcp' as const,
    hostPort: 19922,
    guestIp: lease,
    guestPort: 22,
    bridge: 'virbr0',
    hostAddress: null,
    fromHost: false,
    hairpin: null,
    vm: 'c7',
    mac: '52:54:00:c7:00:01',
  };
  const p = planForwardReapply({ ...seed, forwards: [f], forwardsAmiss: ['tcp 19922: no DNAT'] });
  assert.deepEqual(
    p.steps.map((s) => s.argv),
    [['/var/lib/libvirt/virtnet/forwards-sync']],
  );
  assert.match(p.steps[0]!.why, /tcp 19922: no DNAT/);
  assert.ok(p.after.some((a) => a.fact === 'forwardsInForce'));
  assert.ok(planForwardReapply({ ...seed, forwards: [f], forwardsAmiss: [] }).warnings.some((w) => /changes nothing/.test(w)));
});
