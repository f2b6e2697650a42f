import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { buildHostModel } from '../../../../src/core/collect/build';

const NONCE = 'f1x7u2e0n0ce';
const fixture = (name: string) => readFileSync(new URL(`../../../fixtures/collector/${name}`, import.meta.url), 'utf8');

test('seed host: bridges, ports and the VM behind each tap', () => {
  const m = buildHostModel({ host: 'vnl-a', output: fixture('seed.out'), nonce: NONCE, asRoot: null });
  const br9 = m.bridges.find((b) => b.name === 'br9');
  assert.ok(br9, 'br9 present');
  assert.equal(br9.stp, true);
  assert.equal(br9.vlanFiltering, false);
  assert.equal(br9.up, true);
  assert.deepEqual(br9.addresses, ['10.231.1.2/24']);
  assert.deepEqual(br9.ports.map((p) => [p.name, p.kind, p.domain]).sort(), [
    ['enp3s1', 'veth', null],
    ['vnet0', 'tap', null],
  ]);
  const virbr0 = m.bridges.find((b) => b.name === 'virbr0');
  assert.ok(virbr0);
  assert.deepEqual(virbr0.addresses, ['192.168.122.1/24']);
  const c7tap = virbr0.ports.find((p) => p.kind === 'tap');
  assert.equal(c7tap?.domain, 'c7');
  assert.equal(c7tap?.state, 'forwarding');
});

test('seed host: the default NAT network with its DHCP range and c7 lease', () => {
  const m = buildHostModel({ host: 'vnl-a', output: fixture('seed.out'), nonce: NONCE, asRoot: null });
  assert.deepEqual(
    m.networks.map((n) => n.name),
    ['default'],
  );
  const net = m.networks[0]!;
  assert.equal(net.forwardMode, 'nat');
  assert.equal(net.bridge, 'virbr0');
  assert.equal(net.active, true);
  assert.equal(net.autostart, true);
  assert.equal(net.persistent, true);
  assert.deepEqual(
    net.ips.map((i) => [i.address, i.prefix, i.family]),
    [['192.168.122.1', 24, 'ipv4']],
  );
  assert.deepEqual(net.ips[0]?.dhcpRanges, [{ start: '192.168.122.2', end: '192.168.122.254', lease: null }]);
  assert.equal(net.leases.length, 1);
  assert.equal(net.leases[0]?.mac, '52:54:00:c7:00:01');
  assert.equal(net.leases[0]?.hostname, 'c7');
  assert.match(net.leases[0]?.ip ?? '', /^192\.168\.122\.\d+$/);
});

test('seed host: domains, NIC models, taps and guest addresses', () => {
  const m = buildHostModel({ host: 'vnl-a', output: fixture('seed.out'), nonce: NONCE, asRoot: null });
  assert.deepEqual(
    m.domains.map((d) => [d.name, d.state]),
    [
      ['c7', 'running'],
      ['zxdb', 'shut off'],
    ],
  );
  const [c7, zxdb] = m.domains;
  assert.deepEqual(
    c7?.interfaces.map((i) => [i.type, i.source, i.model, i.mac]),
    [['network', 'default', 'virtio', '52:54:00:c7:00:01']],
  );
  assert.match(c7?.interfaces[0]?.target ?? '', /^vnet\d+$/);
  assert.deepEqual(c7?.interfaces[0]?.ips, [m.networks[0]?.leases[0]?.ip]);
  assert.equal(c7?.virtType, 'qemu');
  assert.deepEqual(
    zxdb?.interfaces.map((i) => [i.type, i.source, i.model, i.target]),
    [['bridge', 'br9', 'rtl8139', null]],
  );
  assert.equal(zxdb?.persistent, true);
});

test('seed host: readiness checks come with reasons', () => {
  const m = buildHostModel({ host: 'vnl-a', output: fixture('seed.out'), nonce: NONCE, asRoot: null });
  const check = (id: string) => m.checks.find((c) => c.id === id);
  assert.equal(check('libvirt')?.ok, true);
  assert.equal(check('tun')?.ok, true);
  assert.equal(check('nic-models')?.ok, true);
  assert.match(check('nic-models')?.detail ?? '', /virtio-net.*rtl8139/);
  // The build machine has no IOMMU: the check must say how to turn it on.
  assert.equal(check('iommu')?.ok, false);
  assert.match(check('iommu')?.detail ?? '', /intel_iommu=on/);
  assert.ok(m.info.nicModels.includes('e1000'));
  assert.equal(m.collectMs !== null && m.collectMs > 0, true);
  for (const c of m.checks) {
    assert.ok(c.detail.length > 10, `check ${c.id} explains itself`);
  }
});

test('libvirtd not running: the rest of the picture still arrives, the gap is a check', () => {
  const m = buildHostModel({ host: 'local', output: fixture('local-nolibvirt.out'), nonce: NONCE, asRoot: null });
  const libvirt = m.checks.find((c) => c.id === 'libvirt');
  assert.equal(libvirt?.ok, false);
  assert.match(libvirt?.detail ?? '', /libvirtd is not running/);
  assert.deepEqual(m.networks, []);
  assert.deepEqual(m.domains, []);
  assert.ok(m.links.some((l) => l.name === 'lo'));
  assert.ok(m.routes.length > 0);
  assert.ok(
    m.pciDevices.some((p) => p.class.startsWith('0x02')),
    'the virtio NIC is listed',
  );
});

test('a wrong nonce (forged or truncated output) yields an empty model, not an exception', () => {
  const m = buildHostModel({ host: 'x', output: fixture('seed.out'), nonce: 'deadbeef0000', asRoot: null });
  assert.deepEqual(m.bridges, []);
  assert.equal(m.checks.find((c) => c.id === 'libvirt')?.ok, false);
});

test('truncated output: sections cut mid-way degrade to checks', () => {
  const full = fixture('seed.out');
  const cut = full.slice(0, full.indexOf('virsh.objects') + 200);
  const m = buildHostModel({ host: 'x', output: cut, nonce: NONCE, asRoot: null });
  assert.ok(m.bridges.length >= 2);
  assert.deepEqual(m.domains, []);
});

test('the session the inventory arrived on, and the interface carrying it', () => {
  const m = buildHostModel({ host: 'vnl-a', output: fixture('seed.out'), nonce: NONCE, asRoot: null });
  assert.equal(m.connection?.clientAddress, '10.231.1.1');
  assert.equal(m.connection?.serverAddress, '10.231.1.2');
  assert.equal(m.connection?.serverPort, 22);
  assert.equal(m.connection?.dev, 'br9');
  assert.equal(m.connection?.gateway, null, 'the client is on-link');
  const local = buildHostModel({ host: 'local', output: fixture('local-nolibvirt.out'), nonce: NONCE, asRoot: null });
  assert.equal(local.connection, null, 'no SSH session, nothing to lose');
});
