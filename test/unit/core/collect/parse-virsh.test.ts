import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { netmaskToPrefix, parseDomainXml, parseLeases, parseNetworkXml, pciAddressOf } from '../../../../src/core/collect/parse-virsh';

// Real outputs from the seed lab host; test/fixtures/seed/README.md has the command for each.
const seed = (name: string) => readFileSync(new URL(`../../../fixtures/seed/${name}`, import.meta.url), 'utf8');

test('net-dhcp-leases table (virsh 9 has no JSON for it)', () => {
  const leases = parseLeases(seed('virsh-net-dhcp-leases-default.txt'));
  assert.deepEqual(leases, [{ expiry: '2026-11-25 14:58:32', mac: '52:54:00:c7:00:01', ip: '192.168.122.235', prefix: 24, hostname: 'c7' }]);
  assert.deepEqual(parseLeases(''), []);
});

test('the default network XML: NAT on virbr0 with its DHCP range', () => {
  const n = parseNetworkXml(seed('virsh-net-dumpxml-default.xml'), { uuid: 'x', active: true, autostart: true, persistent: true }, []);
  assert.equal(n.name, 'default');
  assert.equal(n.forwardMode, 'nat');
  assert.equal(n.bridge, 'virbr0');
  assert.equal(n.stp, true);
  assert.deepEqual(n.ips, [
    { address: '192.168.122.1', prefix: 24, family: 'ipv4', dhcpRanges: [{ start: '192.168.122.2', end: '192.168.122.254' }], dhcpHosts: [] },
  ]);
  assert.match(n.uuid ?? '', /^[0-9a-f-]{36}$/);
});

test('domain XML of a running guest: virtio NIC on a network, with its tap', () => {
  const d = parseDomainXml(seed('virsh-dumpxml-c7.xml'), { uuid: 'x', state: 'running', persistent: true, autostart: false });
  assert.equal(d.name, 'c7');
  assert.equal(d.virtType, 'qemu');
  assert.deepEqual(d.interfaces, [
    { type: 'network', source: 'default', model: 'virtio', mac: '52:54:00:c7:00:01', target: 'vnet1', ips: [], sourceMode: null },
  ]);
  assert.deepEqual(d.hostdevs, []);
});

test('domain XML agrees with virsh domiflist for both seed domains', () => {
  for (const name of ['c7', 'zxdb']) {
    const d = parseDomainXml(seed(`virsh-dumpxml-${name}.xml`), { uuid: 'x', state: '?', persistent: true, autostart: false });
    const rows = seed(`virsh-domiflist-${name}.txt`)
      .split('\n')
      .slice(2)
      .map((l) => l.trim().split(/\s+/))
      .filter((f) => f.length >= 5);
    assert.deepEqual(
      d.interfaces.map((i) => [i.target ?? '-', i.type, i.source, i.model, i.mac]),
      rows,
      name,
    );
  }
});

test('libvirt forms that the seed host does not have', () => {
  // Shapes from libvirt's formatnetwork/formatdomain documentation, reduced to what is parsed.
  const isolated = parseNetworkXml(
    "<network><name>iso</name><bridge name='virbr5'/><ip address='10.5.0.1' prefix='24'/></network>",
    { uuid: 'u', active: false, autostart: false, persistent: true },
    [],
  );
  assert.equal(isolated.forwardMode, 'isolated');
  assert.equal(isolated.ips[0]?.prefix, 24);
  const bare = parseNetworkXml(
    "<network><name>n</name><forward/><ip address='10.6.0.1' netmask='255.255.0.0'/></network>",
    { uuid: 'u', active: true, autostart: false, persistent: false },
    [],
  );
  assert.equal(bare.forwardMode, 'nat', '<forward/> without mode is NAT');
  assert.equal(bare.ips[0]?.prefix, 16);
  const pool = parseNetworkXml(
    "<network><name>p</name><forward mode='hostdev' managed='yes'><pf dev='enp6s0f0'/></forward></network>",
    { uuid: 'u', active: true, autostart: true, persistent: true },
    [],
  );
  assert.equal(pool.forwardMode, 'hostdev');
  assert.equal(pool.forwardPf, 'enp6s0f0');
  const dom = parseDomainXml(
    "<domain type='kvm'><name>vm</name><devices>" +
      "<interface type='direct'><mac address='52:54:00:AA:BB:CC'/><source dev='eno1' mode='bridge'/><model type='e1000e'/></interface>" +
      "<interface type='user'><mac address='52:54:00:00:00:02'/><model type='rtl8139'/></interface>" +
      "<interface type='hostdev' managed='yes'><source><address type='pci' domain='0x0000' bus='0x06' slot='0x10' function='0x2'/></source></interface>" +
      "<hostdev mode='subsystem' type='pci' managed='yes'><source><address domain='0x0000' bus='0x03' slot='0x00' function='0x0'/></source></hostdev>" +
      '</devices></domain>',
    { uuid: 'u', state: 'shut off', persistent: true, autostart: false },
  );
  assert.deepEqual(
    dom.interfaces.map((i) => [i.type, i.source, i.model, i.mac, i.sourceMode]),
    [
      ['direct', 'eno1', 'e1000e', '52:54:00:aa:bb:cc', 'bridge'],
      ['user', null, 'rtl8139', '52:54:00:00:00:02', null],
      ['hostdev', '0000:06:10.2', null, null, null],
    ],
  );
  assert.deepEqual(dom.hostdevs, [{ type: 'pci', address: '0000:03:00.0', managed: true }]);
});

test('netmasks and PCI addresses', () => {
  assert.equal(netmaskToPrefix('255.255.255.0'), 24);
  assert.equal(netmaskToPrefix('255.255.252.0'), 22);
  assert.equal(netmaskToPrefix('0.0.0.0'), 0);
  assert.equal(netmaskToPrefix('255.255.255.255'), 32);
  assert.equal(netmaskToPrefix('255.0.255.0'), null);
  assert.equal(netmaskToPrefix('nonsense'), null);
  assert.equal(pciAddressOf({ '@domain': '0x0000', '@bus': '0x03', '@slot': '0x10', '@function': '0x1' }), '0000:03:10.1');
  assert.equal(pciAddressOf({}), null);
});
