/**
 * Changes to an existing bridge, saved as its whole end state, and tap delete: the intent read
 * from the inventory, then each backend's exact files, removals and undo steps.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { HostModel } from '../../../../../src/core/model/types';
import { PlanInputError } from '../../../../../src/core/ops/plan';
import { persistIntentFor, persistSteps, PERSIST_BACKENDS, type PersistBackend, type PersistOp, type PersistResult } from '../../../../../src/core/ops/persist';
import { now, seed, seedHosts, seedMac, seedWith, ts } from './fixture';

const contents = (r: PersistResult) => Object.fromEntries(r.files.map((f) => [f.path, f.contents]));
/** A step as the preview shows it, minus the constant script text of `sh -c`. */
const words = (argv: string[] | null) => (argv && argv[0] === 'sh' ? argv.slice(3) : argv);
const VM_NOTE = "not saved as ports of br9: vnet3 (VM c8); libvirt or QEMU plugs a VM's tap in each time the VM starts";
const backends = PERSIST_BACKENDS.filter((b): b is Exclude<PersistBackend, 'none'> => b !== 'none');

function refused(fn: () => unknown): string[] {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof PlanInputError, String(e));
    return e.problems;
  }
  assert.fail('not refused');
}

test('the end state comes from the inventory with the change applied; VM taps are left out, said so', () => {
  const base = { kind: 'bridge', bridge: 'br9', stp: true, forwardDelay: 2, gateway: '10.231.1.1', mac: seedMac, notes: [VM_NOTE] } as const;
  assert.deepEqual(persistIntentFor(seed, { op: 'add-port', bridge: 'br9', port: 'enp3s2' }), {
    ...base,
    ports: ['enp3s1', 'vnet0', 'enp3s2'],
    addresses: ['10.231.1.2/24'],
    rewrite: { dropPorts: [] },
  });
  // br9's MAC was enp3s1's: once enp3s1 leaves, pinning it would clash with the NIC's own.
  const { mac: _m, ...noMac } = base;
  assert.deepEqual(persistIntentFor(seed, { op: 'remove-port', bridge: 'br9', port: 'enp3s1' }), {
    ...noMac,
    ports: ['vnet0'],
    addresses: ['10.231.1.2/24'],
    rewrite: { dropPorts: ['enp3s1'] },
  });
  assert.deepEqual(persistIntentFor(seed, { op: 'stp', bridge: 'br9', on: false }), {
    ...base,
    stp: false,
    ports: ['enp3s1', 'vnet0'],
    addresses: ['10.231.1.2/24'],
    rewrite: { dropPorts: [] },
  });
  assert.deepEqual(persistIntentFor(seed, { op: 'address', intent: { ifname: 'br9', add: ['10.231.1.3/24', 'fd00::2/64'] } }), {
    ...base,
    ports: ['enp3s1', 'vnet0'],
    addresses: ['10.231.1.2/24', '10.231.1.3/24', 'fd00::2/64'],
    rewrite: { dropPorts: [] },
  });
  // The last IPv4 address gone: the default route through it goes too.
  const { gateway: _g, ...noGw } = base;
  assert.deepEqual(persistIntentFor(seed, { op: 'address', intent: { ifname: 'br9', remove: ['10.231.1.2/24'] } }), {
    ...noGw,
    ports: ['enp3s1', 'vnet0'],
    addresses: [],
    rewrite: { dropPorts: [] },
  });
  // DHCP brings the gateway itself.
  assert.deepEqual(persistIntentFor(seed, { op: 'address', intent: { ifname: 'br9', clear: true, dhcp: true } }), {
    ...noGw,
    ports: ['enp3s1', 'vnet0'],
    addresses: [],
    dhcp: true,
    rewrite: { dropPorts: [] },
  });
  assert.deepEqual(persistIntentFor(seed, { op: 'delete-tap', name: 'vnet0' }), { kind: 'delete-tap', name: 'vnet0', bridge: 'br9' });
  assert.deepEqual(persistIntentFor(seed, { op: 'delete-bridge', bridge: 'br9' }), {
    kind: 'delete-bridge',
    bridge: 'br9',
    ports: ['enp3s1', 'vnet0', 'vnet3'],
  });
  assert.deepEqual(persistIntentFor(seed, { op: 'create-tap', name: 'vnet7', bridge: 'br9' }), { kind: 'tap', name: 'vnet7', bridge: 'br9' });
  assert.deepEqual(persistIntentFor(seed, { op: 'create-bridge', intent: { name: 'br5', stp: false, vlanFiltering: true } }), {
    kind: 'bridge',
    bridge: 'br5',
    stp: false,
    ports: [],
    addresses: [],
    vlanFiltering: true,
  });
});

test('leased and router-advertised addresses are not saved as static; a lease means DHCP', () => {
  const dyn: HostModel = {
    ...seed,
    links: seed.links.map((l) =>
      l.name === 'br9' ? { ...l, addresses: ['10.231.1.2/24', '10.0.9.9/24', '2001:db8::5/64'], dynamicAddresses: ['10.231.1.2/24', '2001:db8::5/64'] } : l,
    ),
  };
  const i = persistIntentFor(dyn, { op: 'stp', bridge: 'br9', on: true });
  assert.ok(i.kind === 'bridge');
  assert.deepEqual(i.addresses, ['10.0.9.9/24']);
  assert.equal(i.dhcp, true);
  assert.equal(i.gateway, undefined);
  assert.match(i.notes!.join('\n'), /2001:db8::5\/64 came from router advertisements/);
  // Taking the leased address off takes DHCP out of the saved state too.
  const off = persistIntentFor(dyn, { op: 'address', intent: { ifname: 'br9', remove: ['10.231.1.2/24'] } });
  assert.ok(off.kind === 'bridge' && off.dhcp === undefined);
});

test("refused: no such bridge, addresses of a non-bridge, a libvirt network's bridge", () => {
  assert.deepEqual(
    refused(() => persistIntentFor(seed, { op: 'stp', bridge: 'br4', on: true })),
    ['there is no bridge "br4" on vnl-a'],
  );
  assert.match(
    refused(() => persistIntentFor(seed, { op: 'address', intent: { ifname: 'enp3s2', add: ['10.0.0.1/24'] } })).join(),
    /saves the addresses of bridges only/,
  );
  for (const b of backends) {
    const probs = refused(() => persistSteps(seedHosts[b], persistIntentFor(seedHosts[b], { op: 'add-port', bridge: 'virbr0', port: 'enp3s2' }), b, { now }));
    assert.match(probs.join('\n'), /virbr0 belongs to the libvirt network "default".*virsh net-edit default/, b);
  }
  assert.match(
    refused(() => persistSteps(seedHosts.netplan, persistIntentFor(seed, { op: 'delete-tap', name: 'vnet0' }), 'netplan', { now })).join(),
    /netplan has no tap devices/,
  );
});

test("networkd remove-port: the bridge files rewritten, the port's file removed (backed up), reload last", () => {
  const r = persistSteps(seedHosts.networkd, persistIntentFor(seed, { op: 'remove-port', bridge: 'br9', port: 'enp3s1' }), 'networkd', { now });
  const d = '/etc/systemd/network';
  assert.deepEqual(contents(r), {
    [`${d}/05-virtnet-br9.netdev`]: '# Written by VirtNet: bridge br9 with vnet0\n[NetDev]\nName=br9\nKind=bridge\n\n[Bridge]\nSTP=yes\nForwardDelaySec=2\n',
    [`${d}/05-virtnet-br9.network`]:
      '# Written by VirtNet: bridge br9 with vnet0\n[Match]\nName=br9\n\n[Network]\nAddress=10.231.1.2/24\nGateway=10.231.1.1\nConfigureWithoutCarrier=yes\n',
    [`${d}/05-virtnet-br9-vnet0.network`]: '# Written by VirtNet: port vnet0 of bridge br9\n[Match]\nName=vnet0\n\n[Network]\nBridge=br9\n',
  });
  const gone = `${d}/05-virtnet-br9-enp3s1.network`;
  const bak = `${gone}.virtnet-bak-${ts}`;
  assert.deepEqual(r.removes, [gone]);
  assert.deepEqual(
    r.steps.slice(-3).map((s) => [words(s.argv), words(s.undo)]),
    [
      [
        ['virtnet-backup', gone, bak],
        ['rm', '-f', bak],
      ],
      [
        ['rm', '-f', gone],
        ['virtnet-restore', gone, bak],
      ],
      [['networkctl', 'reload'], null],
    ],
  );
  assert.deepEqual(
    r.checks.map((s) => words(s.argv)),
    [['virtnet-check-networkd', '05-virtnet-br9', 'br9', 'vnet0']],
  );
  assert.equal(r.warnings[0], VM_NOTE);
});

test('ifupdown address change: one stanza per extra address, the gateway with its family', () => {
  const r = persistSteps(
    seedHosts.ifupdown,
    persistIntentFor(seed, { op: 'address', intent: { ifname: 'br9', add: ['10.231.1.3/24', 'fd00::2/64'] } }),
    'ifupdown',
    { now },
  );
  assert.deepEqual(contents(r), {
    '/etc/network/interfaces.d/virtnet-br9': `# Written by VirtNet: bridge br9 with enp3s1, vnet0\nauto br9\niface br9 inet static\n    bridge_ports enp3s1 vnet0\n    bridge_stp on\n    bridge_fd 2\n    hwaddress ${seedMac}\n    address 10.231.1.2/24\n    gateway 10.231.1.1\n\niface br9 inet static\n    address 10.231.1.3/24\n\niface br9 inet6 static\n    address fd00::2/64\n\niface enp3s1 inet manual\n\niface vnet0 inet manual\n`,
  });
  // The same file is rewritten (backup first), never a second file for br9.
  assert.deepEqual(
    r.steps.map((s) => words(s.argv)![0]),
    ['virtnet-backup', 'virtnet-write'],
  );
  // DHCP plus a static address: the dhcp stanza first, the static one after it.
  const dhcp = persistSteps(
    seedHosts.ifupdown,
    { kind: 'bridge', bridge: 'br9', stp: false, ports: [], addresses: ['10.0.9.9/24'], dhcp: true, rewrite: { dropPorts: [] } },
    'ifupdown',
    { now },
  );
  assert.equal(
    dhcp.files[0]!.contents,
    '# Written by VirtNet: bridge br9\nauto br9\niface br9 inet dhcp\n    bridge_ports none\n    bridge_stp off\n\niface br9 inet static\n    address 10.0.9.9/24\n',
  );
});

test("netplan stp change: the bridge's one file rewritten in full, then netplan generate", () => {
  const r = persistSteps(seedHosts.netplan, persistIntentFor(seed, { op: 'stp', bridge: 'br9', on: false }), 'netplan', { now });
  assert.deepEqual(r.files, [
    {
      path: '/etc/netplan/60-virtnet-br9.yaml',
      mode: '600',
      contents: `# Written by VirtNet: bridge br9 with enp3s1, vnet0\nnetwork:\n  version: 2\n  ethernets:\n    "enp3s1":\n      dhcp4: false\n    "vnet0":\n      dhcp4: false\n  bridges:\n    "br9":\n      interfaces: ["enp3s1", "vnet0"]\n      macaddress: "${seedMac}"\n      parameters:\n        stp: false\n        forward-delay: 2\n      addresses: ["10.231.1.2/24"]\n      routes:\n        - to: default\n          via: "10.231.1.1"\n`,
    },
  ]);
  assert.deepEqual(r.steps.at(-1)!.argv, ['netplan', 'generate']);
  assert.deepEqual(
    r.checks.map((s) => words(s.argv)),
    [['virtnet-check-netplan', '/etc/netplan/60-virtnet-br9.yaml', 'br9']],
  );
  const both = persistSteps(
    seedHosts.netplan,
    { kind: 'bridge', bridge: 'br9', stp: false, ports: [], addresses: ['10.0.9.9/24', 'fd00::2/64'], dhcp: true, gateway: 'fd00::1' },
    'netplan',
    { now },
  );
  assert.match(
    both.files[0]!.contents,
    /addresses: \["10\.0\.9\.9\/24", "fd00::2\/64"\]\n {6}routes:\n {8}- to: default\n {10}via: "fd00::1"\n {6}dhcp4: true\n$/,
  );
});

test("NetworkManager add-port and remove-port: every profile saved then modified in place (or added), a dropped port's profile deleted with an undo", () => {
  const nm = seedHosts.networkmanager;
  const bak = (n: string) => `/var/lib/virtnet/nm-backup/${n}.${ts}`;
  const add = persistSteps(nm, persistIntentFor(nm, { op: 'add-port', bridge: 'br9', port: 'enp3s2' }), 'networkmanager', { now });
  const rows = add.steps.map((s) => words(s.argv)!);
  assert.deepEqual(
    rows.map((w) => w.slice(0, 2)),
    [
      ['virtnet-nm-save', 'virtnet-br9'],
      ['virtnet-nm-upsert', 'virtnet-br9'],
      ['virtnet-nm-save', 'virtnet-br9-enp3s1'],
      ['virtnet-nm-upsert', 'virtnet-br9-enp3s1'],
      ['virtnet-nm-save', 'virtnet-br9-vnet0'],
      ['virtnet-nm-upsert', 'virtnet-br9-vnet0'],
      ['virtnet-nm-save', 'virtnet-br9-enp3s2'],
      ['virtnet-nm-upsert', 'virtnet-br9-enp3s2'],
    ],
  );
  const [, , bu, ...bridgeProps] = rows[1]!.slice(1);
  assert.deepEqual(bridgeProps, [
    'connection.interface-name',
    'br9',
    'bridge.stp',
    'yes',
    'bridge.forward-delay',
    '2',
    'bridge.vlan-filtering',
    'no',
    'bridge.mac-address',
    seedMac,
    'ipv4.method',
    'manual',
    'ipv4.addresses',
    '10.231.1.2/24',
    'ipv4.gateway',
    '10.231.1.1',
    'ipv6.method',
    'auto',
    'ipv6.addresses',
    '',
    'ipv6.gateway',
    '',
  ]);
  assert.equal(rows[1]![3], 'bridge');
  assert.deepEqual(rows[7]!.slice(3), [
    'ethernet',
    'connection.interface-name',
    'enp3s2',
    'connection.master',
    'br9',
    'connection.slave-type',
    'bridge',
    'connection.autoconnect-priority',
    '10',
  ]);
  assert.deepEqual(rows[5]!.slice(3, 7), ['tun', 'connection.interface-name', 'vnet0', 'tun.mode']);
  // Undo: the saved file back (or, for a profile that was added, delete it by its UUID).
  assert.deepEqual(words(add.steps[1]!.undo), ['virtnet-nm-restore', bak('virtnet-br9'), rows[1]![2]]);
  assert.deepEqual(words(add.steps[0]!.undo), ['rm', '-f', bak('virtnet-br9'), `${bak('virtnet-br9')}.path`]);
  assert.ok(bu);
  assert.deepEqual(
    add.checks.map((s) => words(s.argv)),
    [['virtnet-check-nm', 'br9']],
  );

  const rm = persistSteps(nm, persistIntentFor(nm, { op: 'remove-port', bridge: 'br9', port: 'enp3s1' }), 'networkmanager', { now });
  assert.deepEqual(
    rm.steps.slice(-2).map((s) => [words(s.argv), words(s.undo)]),
    [
      [
        ['virtnet-nm-save', 'virtnet-br9-enp3s1', bak('virtnet-br9-enp3s1')],
        ['rm', '-f', bak('virtnet-br9-enp3s1'), `${bak('virtnet-br9-enp3s1')}.path`],
      ],
      [
        ['virtnet-nm-delete', 'virtnet-br9-enp3s1'],
        ['virtnet-nm-restore', bak('virtnet-br9-enp3s1'), ''],
      ],
    ],
  );
  // The MAC was enp3s1's: emptied, so NM does not keep pinning it.
  assert.deepEqual(words(rm.steps[1]!.argv)!.slice(12, 14), ['bridge.mac-address', '']);
  // Changing the bridge that carries the session: every NM step runs under the guard.
  assert.ok(rm.steps.filter((s) => words(s.argv)![0] !== 'virtnet-nm-save').every((s) => s.touchesConnection));
});

test('tap delete: its files (and its port file on the bridge) removed, NM profiles deleted with undo', () => {
  const intent = persistIntentFor(seed, { op: 'delete-tap', name: 'vnet0' });
  const n = persistSteps(seedHosts.networkd, intent, 'networkd', { now });
  assert.deepEqual(n.removes, [
    '/etc/systemd/network/05-virtnet-vnet0.netdev',
    '/etc/systemd/network/05-virtnet-vnet0.network',
    '/etc/systemd/network/05-virtnet-br9-vnet0.network',
  ]);
  assert.deepEqual(n.files, []);
  assert.deepEqual(n.checks, []);
  const i = persistSteps(seedHosts.ifupdown, intent, 'ifupdown', { now });
  assert.deepEqual(i.removes, ['/etc/network/interfaces.d/virtnet-vnet0']);
  assert.deepEqual(words(i.steps[1]!.undo), [
    'virtnet-restore',
    '/etc/network/interfaces.d/virtnet-vnet0',
    `/etc/network/interfaces.d/.virtnet-vnet0.virtnet-bak-${ts}`,
  ]);
  assert.match(i.warnings.join(), /virtnet-br9 lists vnet0 in bridge_ports/);
  const m = persistSteps(seedHosts.networkmanager, intent, 'networkmanager', { now });
  assert.deepEqual(
    m.steps.map((s) => words(s.argv)!.slice(0, 2)),
    [
      ['virtnet-nm-save', 'virtnet-vnet0'],
      ['virtnet-nm-delete', 'virtnet-vnet0'],
      ['virtnet-nm-save', 'virtnet-br9-vnet0'],
      ['virtnet-nm-delete', 'virtnet-br9-vnet0'],
    ],
  );
  assert.ok(m.steps.every((s) => s.undo));
});

test('VLAN filtering: networkd VLANFiltering=, ifupdown bridge_vlan_aware, NM bridge.vlan-filtering, netplan warns', () => {
  const vf = persistIntentFor(seed, { op: 'create-bridge', intent: { name: 'br5', stp: false, vlanFiltering: true } });
  assert.match(
    contents(persistSteps(seedHosts.networkd, vf, 'networkd', { now }))['/etc/systemd/network/05-virtnet-br5.netdev']!,
    /\[Bridge\]\nSTP=no\nVLANFiltering=yes\n$/,
  );
  assert.match(persistSteps(seedHosts.ifupdown, vf, 'ifupdown', { now }).files[0]!.contents, /bridge_stp off\n {4}bridge_vlan_aware yes\n$/);
  const nmAdd = persistSteps(seedHosts.networkmanager, vf, 'networkmanager', { now }).steps[0]!.argv;
  assert.deepEqual(nmAdd.slice(nmAdd.indexOf('bridge.vlan-filtering'), nmAdd.indexOf('bridge.vlan-filtering') + 2), ['bridge.vlan-filtering', 'yes']);
  const np = persistSteps(seedHosts.netplan, vf, 'netplan', { now });
  assert.doesNotMatch(np.files[0]!.contents, /vlan/i);
  assert.match(np.warnings.join(), /netplan has no setting for VLAN filtering/);
  // A live bridge with filtering on keeps it through an edit.
  const on: HostModel = { ...seed, bridges: seed.bridges.map((b) => (b.name === 'br9' ? { ...b, vlanFiltering: true } : b)) };
  assert.match(
    contents(persistSteps(seedHosts.networkd, persistIntentFor(on, { op: 'stp', bridge: 'br9', on: false }), 'networkd', { now }))[
      '/etc/systemd/network/05-virtnet-br9.netdev'
    ]!,
    /VLANFiltering=yes/,
  );
});

test('every op persists through every backend that can hold it (netplan: no taps)', () => {
  const ops: PersistOp[] = [
    { op: 'create-bridge', intent: { name: 'br5', stp: true, forwardDelay: 4, ports: ['enp3s2'] } },
    { op: 'uplink', intent: { nic: 'enp3s2', bridge: 'br5', stp: false, dhcp: true } },
    { op: 'delete-bridge', bridge: 'br9' },
    { op: 'add-port', bridge: 'br9', port: 'enp3s2' },
    { op: 'remove-port', bridge: 'br9', port: 'enp3s1' },
    { op: 'stp', bridge: 'br9', on: false },
    { op: 'address', intent: { ifname: 'br9', add: ['10.231.1.3/24'] } },
    { op: 'address', intent: { ifname: 'br9', remove: ['10.231.1.2/24'] } },
    { op: 'address', intent: { ifname: 'br9', clear: true } },
    { op: 'address', intent: { ifname: 'br9', clear: true, dhcp: true } },
    { op: 'create-tap', name: 'vnet7', bridge: 'br9' },
    { op: 'delete-tap', name: 'vnet0' },
  ];
  let n = 0;
  for (const b of backends) {
    for (const op of ops) {
      const tap = op.op === 'create-tap' || op.op === 'delete-tap';
      const run = () => persistSteps(seedHosts[b], persistIntentFor(seedHosts[b], op), b, { now });
      if (b === 'netplan' && tap) {
        refused(run);
        continue;
      }
      const r = run();
      assert.ok(r.steps.length > 0, `${b} ${op.op}`);
      // Every step that changes the host can be undone, and persisting steps say so.
      for (const s of r.steps) {
        assert.ok(['file', 'config'].includes(s.kind), `${b} ${op.op}: ${s.why} is a ${s.kind} step`);
        if (s.argv[0] !== 'networkctl' && s.argv[0] !== 'netplan') assert.ok(s.undo, `${b} ${op.op}: ${s.why} has no undo`);
      }
      n++;
    }
  }
  assert.equal(n, 46);
  // Detected manager and backend must agree, as for create.
  assert.match(
    refused(() => persistSteps(seedWith('networkd'), persistIntentFor(seed, { op: 'stp', bridge: 'br9', on: false }), 'ifupdown', { now })).join(),
    /use --persist networkd/,
  );
});
