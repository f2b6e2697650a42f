/**
 * New-VM command lines from the seed host's model: each NIC setup's virt-install and QEMU argv
 * and XML, what the host lacks said beside them, and hostile values refused before any line is
 * written (a comma would smuggle an option into virt-install's --network).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { seedModel } from '../fixtures';
import { CmdlineInputError, vmCmdlines, type CmdlineIntent } from '../../../src/core/vmCmdline';

const seed = seedModel();
const mac = '52:54:00:12:34:56';
const gen = (i: Omit<CmdlineIntent, 'mac'>) => vmCmdlines(seed, { mac, ...i });
const tail = (argv: string[]) => argv.slice(argv.indexOf('--network'));

test('a network: virt-install by name, QEMU through its bridge on a tap of its own, the interface XML', () => {
  const c = gen({ nic: { type: 'network', network: 'default' } });
  assert.deepEqual(tail(c.virtInstall), ['--network', `network=default,model.type=virtio,mac.address=${mac}`]);
  assert.deepEqual(c.qemuSetup, [
    ['ip', 'tuntap', 'add', 'dev', 'vn-newvm', 'mode', 'tap'],
    ['ip', 'link', 'set', 'dev', 'vn-newvm', 'master', 'virbr0', 'up'],
  ]);
  assert.deepEqual(c.qemu!.slice(-4), [
    '-netdev',
    `tap,id=n0,ifname=vn-newvm,script=no,downscript=no${seed.info.vhostNet ? ',vhost=on' : ''}`,
    '-device',
    `virtio-net-pci,netdev=n0,mac=${mac}`,
  ]);
  assert.equal(c.xml, `<interface type='network'>\n  <mac address='${mac}'/>\n  <source network='default'/>\n  <model type='virtio'/>\n</interface>`);
  assert.deepEqual(c.problems, []);
});

test('a bridge with an emulated model: said; a missing bridge and a taken tap name: said', () => {
  const c = gen({ nic: { type: 'bridge', bridge: 'br9' }, model: 'rtl8139', tap: 'vnet0' });
  assert.deepEqual(tail(c.virtInstall), ['--network', `bridge=br9,model.type=rtl8139,mac.address=${mac}`]);
  assert.ok(c.qemu!.includes(`rtl8139,netdev=n0,mac=${mac}`));
  assert.ok(!c.qemu!.some((w) => w.includes('vhost')), 'vhost is virtio-net only');
  assert.ok(c.notes.some((n) => /rtl8139 is emulated hardware/.test(n)));
  assert.ok(c.problems.some((p) => /has an interface vnet0 already/.test(p)));
  assert.ok(gen({ nic: { type: 'bridge', bridge: 'br77' } }).problems.some((p) => /has no bridge br77/.test(p)));
});

test('macvtap: virt-install and XML, no raw QEMU line (it needs a shell-opened fd); a bridge port is said', () => {
  const c = gen({ nic: { type: 'direct', dev: 'enp3s1', mode: 'vepa' } });
  assert.deepEqual(tail(c.virtInstall), ['--network', `type=direct,source=enp3s1,source.mode=vepa,model.type=virtio,mac.address=${mac}`]);
  assert.equal(c.qemu, null);
  assert.match(c.xml, /<source dev='enp3s1' mode='vepa'\/>/);
  assert.ok(c.problems.some((p) => /enp3s1 is a port of br9/.test(p)));
  assert.ok(c.notes.some((n) => /the host itself cannot reach it/.test(n)));
});

test("user-mode: passt's forwards as virt-install --xml edits and <portForward>; QEMU's hostfwd", () => {
  const c = gen({
    nic: {
      type: 'user',
      passt: true,
      forwards: [
        { proto: 'tcp', host: 2222, guest: 22 },
        { proto: 'udp', host: 5353, guest: 53 },
      ],
    },
  });
  assert.deepEqual(tail(c.virtInstall), [
    '--network',
    `type=user,model.type=virtio,mac.address=${mac}`,
    '--xml',
    './devices/interface/backend/@type=passt',
    ...[
      '--xml',
      './devices/interface/portForward[1]/@proto=tcp',
      '--xml',
      './devices/interface/portForward[1]/range/@start=2222',
      '--xml',
      './devices/interface/portForward[1]/range/@to=22',
    ],
    ...[
      '--xml',
      './devices/interface/portForward[2]/@proto=udp',
      '--xml',
      './devices/interface/portForward[2]/range/@start=5353',
      '--xml',
      './devices/interface/portForward[2]/range/@to=53',
    ],
  ]);
  assert.ok(c.qemu!.includes('user,id=n0,hostfwd=tcp::2222-:22,hostfwd=udp::5353-:53'));
  assert.match(
    c.xml,
    /<backend type='passt'\/>\n  <model type='virtio'\/>\n  <portForward proto='tcp'>\n    <range start='2222' to='22'\/>\n  <\/portForward>/,
  );
});

test('a PCI device: --network none --hostdev by its nodedev name, vfio-pci for QEMU, a managed hostdev', () => {
  const pci = {
    address: '0000:03:00.3',
    class: '0x020000',
    vendorId: '8086',
    deviceId: '10ca',
    vendorName: null,
    deviceName: null,
    driver: 'igbvf',
    iommuGroup: 20,
    numaNode: null,
    netdevs: [],
    sriov: null,
    physfn: '0000:03:00.0',
    vfs: [],
    assignedTo: null,
  };
  const c = vmCmdlines({ ...seed, pciDevices: [pci] }, { nic: { type: 'vf', address: '03:00.3' } });
  assert.deepEqual(tail(c.virtInstall), ['--network', 'none', '--hostdev', 'pci_0000_03_00_3']);
  assert.deepEqual(c.qemu!.slice(-2), ['-device', 'vfio-pci,host=0000:03:00.3']);
  assert.match(c.xml, /<hostdev mode='subsystem' type='pci' managed='yes'>\n  <source>\n    <address domain='0x0000' bus='0x03' slot='0x00' function='0x3'\/>/);
  assert.ok(c.notes.some((n) => /on igbvf: libvirt's managed hostdev moves it to vfio-pci/.test(n)));
  assert.deepEqual(c.problems, []);
  assert.ok(vmCmdlines(seed, { nic: { type: 'vf', address: '03:00.3' } }).problems.some((p) => /has no PCI device 0000:03:00.3/.test(p)));
});

test('hostile values are refused before any line is written', () => {
  for (const i of [
    { nic: { type: 'bridge', bridge: 'br9,script=/tmp/x' } },
    { nic: { type: 'network', network: 'default,model.type=e1000' } },
    { nic: { type: 'bridge', bridge: 'br9' }, name: 'vm;reboot' },
    { nic: { type: 'bridge', bridge: 'br9' }, model: "virtio'/><x" },
    { nic: { type: 'bridge', bridge: 'br9' }, tap: 'tap 1' },
    { nic: { type: 'direct', dev: 'enp3s1', mode: 'promisc' } },
    { nic: { type: 'pci', address: '03:00.3,x' } },
    { nic: { type: 'user', passt: false, forwards: [{ proto: 'tcp', host: 70000, guest: 22 }] } },
  ] as CmdlineIntent[])
    assert.throws(() => vmCmdlines(seed, i), CmdlineInputError, JSON.stringify(i));
  assert.throws(() => vmCmdlines(seed, { nic: { type: 'none' }, mac: '01:00:5e:00:00:01x' }), CmdlineInputError);
});
