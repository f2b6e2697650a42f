import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { classfulPrefix, netmaskToPrefix, parseDomainXml, parseLeases, parseNetworkXml, pciAddressOf } from '../../../../src/core/collect/parse-virsh';

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
    {
      address: '192.168.122.1',
      prefix: 24,
      family: 'ipv4',
      localPtr: null,
      tftpRoot: null,
      bootp: null,
      dhcpRanges: [{ start: '192.168.122.2', end: '192.168.122.254', lease: null }],
      dhcpHosts: [],
    },
  ]);
  assert.match(n.uuid ?? '', /^[0-9a-f-]{36}$/);
});

test('domain XML of a running guest: virtio NIC on a network, with its tap', () => {
  const d = parseDomainXml(seed('virsh-dumpxml-c7.xml'), { uuid: 'x', state: 'running', persistent: true, autostart: false });
  assert.equal(d.name, 'c7');
  assert.equal(d.virtType, 'qemu');
  assert.deepEqual(
    d.interfaces.map(({ type, source, model, mac, target, sourceMode, linkState, guestAddress }) => ({
      type,
      source,
      model,
      mac,
      target,
      sourceMode,
      linkState,
      guestAddress,
    })),
    [
      {
        type: 'network',
        source: 'default',
        model: 'virtio',
        mac: '52:54:00:c7:00:01',
        target: 'vnet1',
        sourceMode: null,
        linkState: null,
        guestAddress: '0000:01:00.0',
      },
    ],
  );
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
  assert.deepEqual(dom.hostdevs, [
    { type: 'pci', mode: 'subsystem', address: '0000:03:00.0', usb: null, managed: true, guestAddress: null, romBar: null, romFile: null },
  ]);
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

test('an IPv4 address with neither prefix nor netmask gets its classful prefix, as libvirt gives it', () => {
  const at = (address: string) =>
    parseNetworkXml(`<network><name>c</name><ip address='${address}'/></network>`, { uuid: 'u', active: false, autostart: false, persistent: true }, []).ips[0]
      ?.prefix;
  assert.equal(at('10.20.0.1'), 8, 'class A');
  assert.equal(at('172.20.0.1'), 16, 'class B (the host shows 172.20.0.1/16)');
  assert.equal(at('192.168.50.1'), 24, 'class C');
  assert.equal(
    parseNetworkXml(
      "<network><name>v6</name><ip family='ipv6' address='fd00::1'/></network>",
      { uuid: 'u', active: false, autostart: false, persistent: true },
      [],
    ).ips[0]?.prefix,
    64,
  );
  assert.equal(classfulPrefix('224.0.0.1'), null, 'class D: libvirt refuses it');
});

test('a network carrying every documented element reads into typed fields', () => {
  const xml = `<network ipv6='yes' trustGuestRxFilters='yes'>
  <name>full</name>
  <forward mode='nat' dev='eth0'><nat ipv6='yes'><address start='192.0.2.10' end='192.0.2.20'/><port start='1024' end='65000'/></nat></forward>
  <bridge name='virbr7' stp='on' delay='2' macTableManager='libvirt' zone='trusted'/>
  <mac address='52:54:00:AB:CD:EF'/>
  <mtu size='9000'/>
  <bandwidth><inbound average='1000' peak='5000' burst='1024'/><outbound average='128'/></bandwidth>
  <vlan trunk='yes'><tag id='42' nativeMode='untagged'/><tag id='47'/></vlan>
  <port isolated='yes'/>
  <domain name='lab.test' localOnly='yes'/>
  <dns enable='yes' forwardPlainNames='no'>
    <forwarder addr='8.8.8.8'/><forwarder domain='corp' addr='10.0.0.53'/><forwarder domain='local.only'/>
    <txt name='example' value='example value'/>
    <srv service='name' protocol='tcp' domain='test-domain-name' target='.' port='1024' priority='10' weight='10'/>
    <host ip='192.168.122.2'><hostname>myhost</hostname><hostname>myhostalias</hostname></host>
  </dns>
  <ip address='192.168.122.1' netmask='255.255.255.0' localPtr='yes'>
    <tftp root='/srv/tftp'/>
    <dhcp>
      <range start='192.168.122.100' end='192.168.122.254'><lease expiry='1' unit='hours'/></range>
      <host mac='00:16:3E:77:E2:ED' name='foo.example.com' ip='192.168.122.10'><lease expiry='30'/></host>
      <bootp file='pxelinux.0' server='192.168.122.1'/>
    </dhcp>
  </ip>
  <ip family='ipv6' address='2001:db8:ca2:2::1' prefix='64'>
    <dhcp><host id='0:4:7e:7d:f0:7d:a8:bc:c5:d2:13:32:11:ed:16:ea:84:63' name='paul' ip='2001:db8:ca2:2:3::4'/></dhcp>
  </ip>
  <route address='192.168.222.0' prefix='24' gateway='192.168.122.2' metric='5'/>
  <route family='ipv6' address='2001:db8:ac10:fc00::' prefix='64' gateway='2001:db8:ca2:2::2'/>
  <portgroup name='engineering' default='yes'><vlan><tag id='42'/></vlan><bandwidth><inbound average='1000'/></bandwidth></portgroup>
  <portgroup name='sales' trustGuestRxFilters='no'><virtualport type='openvswitch'><parameters profileid='sales'/></virtualport></portgroup>
</network>`;
  const n = parseNetworkXml(xml, { uuid: 'u', active: true, autostart: true, persistent: true }, [], null);
  assert.equal(n.xml, xml);
  assert.equal(n.inactiveXml, null, 'given by the collector, never guessed from a running object');
  assert.deepEqual(n.nat, { addressStart: '192.0.2.10', addressEnd: '192.0.2.20', portStart: 1024, portEnd: 65000, ipv6: true });
  assert.deepEqual([n.stpDelay, n.macTableManager, n.zone, n.bridgeMac, n.mtu], [2, 'libvirt', 'trusted', '52:54:00:ab:cd:ef', 9000]);
  assert.deepEqual(n.bandwidth, {
    inbound: { average: 1000, peak: 5000, burst: 1024, floor: null },
    outbound: { average: 128, peak: null, burst: null, floor: null },
  });
  assert.deepEqual(n.vlan, {
    trunk: true,
    tags: [
      { id: 42, nativeMode: 'untagged' },
      { id: 47, nativeMode: null },
    ],
  });
  assert.deepEqual([n.portIsolated, n.trustGuestRxFilters, n.ipv6, n.domainName, n.domainLocalOnly], [true, true, true, 'lab.test', true]);
  assert.deepEqual(n.dns, {
    enabled: true,
    forwardPlainNames: false,
    forwarders: [
      { addr: '8.8.8.8', domain: null },
      { addr: '10.0.0.53', domain: 'corp' },
      { addr: null, domain: 'local.only' },
    ],
    hosts: [{ ip: '192.168.122.2', hostnames: ['myhost', 'myhostalias'] }],
    txt: [{ name: 'example', value: 'example value' }],
    srv: [{ service: 'name', protocol: 'tcp', domain: 'test-domain-name', target: '.', port: 1024, priority: 10, weight: 10 }],
  });
  const [v4, v6] = n.ips;
  assert.deepEqual([v4?.prefix, v4?.localPtr, v4?.tftpRoot, v4?.bootp], [24, true, '/srv/tftp', { file: 'pxelinux.0', server: '192.168.122.1' }]);
  assert.deepEqual(v4?.dhcpRanges[0]?.lease, { expiry: 1, unit: 'hours' });
  assert.deepEqual(v4?.dhcpHosts[0], {
    mac: '00:16:3e:77:e2:ed',
    id: null,
    name: 'foo.example.com',
    ip: '192.168.122.10',
    lease: { expiry: 30, unit: 'minutes' },
  });
  assert.deepEqual(v6?.dhcpHosts[0]?.id, '0:4:7e:7d:f0:7d:a8:bc:c5:d2:13:32:11:ed:16:ea:84:63');
  assert.deepEqual(n.routes, [
    { family: 'ipv4', address: '192.168.222.0', prefix: 24, gateway: '192.168.122.2', metric: 5 },
    { family: 'ipv6', address: '2001:db8:ac10:fc00::', prefix: 64, gateway: '2001:db8:ca2:2::2', metric: null },
  ]);
  assert.deepEqual(
    n.portgroups.map((p) => [
      p.name,
      p.default,
      p.vlan?.tags.map((t) => t.id),
      p.bandwidth?.inbound?.average,
      p.virtualport?.type,
      p.virtualport?.profileId,
      p.trustGuestRxFilters,
    ]),
    [
      ['engineering', true, [42], 1000, undefined, undefined, null],
      ['sales', false, undefined, undefined, 'openvswitch', 'sales', false],
    ],
  );
});

test('a hostdev pool network and every socket, vhost-user and device fact of a domain', () => {
  const pool = parseNetworkXml(
    "<network><name>vfs</name><forward mode='hostdev' managed='yes'><driver name='vfio'/>" +
      "<address type='pci' domain='0' bus='4' slot='0' function='1'/><address type='pci' domain='0' bus='4' slot='0' function='2'/></forward></network>",
    { uuid: 'u', active: false, autostart: false, persistent: true },
    [],
  );
  assert.deepEqual([pool.forwardManaged, pool.forwardDriver, pool.forwardAddresses], [true, 'vfio', ['0000:04:00.1', '0000:04:00.2']]);
  const xml =
    "<domain type='kvm'><name>nics</name><devices>" +
    "<interface type='network'><mac address='52:54:00:00:00:01'/><source network='ovs' portgroup='sales'/><link state='down'/>" +
    "<model type='virtio'/><driver name='vhost' queues='4'/><mtu size='1400'/><vlan><tag id='42'/></vlan>" +
    "<virtualport type='openvswitch'><parameters interfaceid='09b11c53-8b5c-4eeb-8f00-d84eaa0aaa4f'/></virtualport><boot order='2'/>" +
    "<address type='pci' domain='0x0000' bus='0x01' slot='0x00' function='0x0'/></interface>" +
    "<interface type='udp'><mac address='52:54:00:00:00:02'/><source address='127.0.0.1' port='11111'><local address='127.0.0.1' port='22222'/></source></interface>" +
    "<interface type='mcast'><mac address='52:54:00:00:00:03'/><source address='230.0.0.1' port='5558'/></interface>" +
    "<interface type='vhostuser'><mac address='52:54:00:00:00:04'/><source type='unix' path='/tmp/vhost1.sock' mode='server'/><model type='virtio'/></interface>" +
    "<interface type='hostdev' managed='no'><mac address='52:54:00:00:00:05'/><source><address type='pci' domain='0x0000' bus='0x06' slot='0x10' function='0x2'/></source></interface>" +
    "<hostdev mode='subsystem' type='usb'><source><vendor id='0x1234'/><product id='0xbeef'/></source><address type='usb' bus='0' port='1'/></hostdev>" +
    "<hostdev mode='subsystem' type='pci' managed='yes'><source><address domain='0x0000' bus='0x03' slot='0x00' function='0x0'/></source><rom bar='off'/>" +
    "<address type='pci' domain='0x0000' bus='0x07' slot='0x00' function='0x0'/></hostdev>" +
    '</devices></domain>';
  const d = parseDomainXml(xml, { uuid: 'u', state: 'shut off', persistent: true, autostart: false });
  assert.equal(d.inactiveXml, xml, 'a stopped persistent domain: its XML is its definition');
  const [net, udp, mcast, vhost, hostdev] = d.interfaces;
  assert.deepEqual(
    [
      net?.portgroup,
      net?.linkState,
      net?.driverName,
      net?.queues,
      net?.mtu,
      net?.vlan?.tags[0]?.id,
      net?.virtualport?.interfaceId,
      net?.bootOrder,
      net?.guestAddress,
    ],
    ['sales', 'down', 'vhost', 4, 1400, 42, '09b11c53-8b5c-4eeb-8f00-d84eaa0aaa4f', 2, '0000:01:00.0'],
  );
  assert.deepEqual(udp?.socket, { address: '127.0.0.1', port: 11111, localAddress: '127.0.0.1', localPort: 22222 });
  assert.deepEqual(mcast?.socket, { address: '230.0.0.1', port: 5558, localAddress: null, localPort: null });
  assert.deepEqual(vhost?.vhostUser, { type: 'unix', path: '/tmp/vhost1.sock', mode: 'server' });
  assert.deepEqual([hostdev?.source, hostdev?.managed], ['0000:06:10.2', false]);
  assert.deepEqual(d.hostdevs, [
    {
      type: 'usb',
      mode: 'subsystem',
      address: null,
      usb: { vendor: '0x1234', product: '0xbeef', bus: null, device: null },
      managed: false,
      guestAddress: 'usb:bus=0,port=1',
      romBar: null,
      romFile: null,
    },
    { type: 'pci', mode: 'subsystem', address: '0000:03:00.0', usb: null, managed: true, guestAddress: '0000:07:00.0', romBar: 'off', romFile: null },
  ]);
});

test('a running network or VM whose definition was edited: what waits for a restart or cold boot is named', () => {
  const live = "<network><name>p</name><forward mode='nat'><nat><port start='1024' end='65535'/></nat></forward><bridge name='virbr3'/></network>";
  const defined = "<network><name>p</name><forward mode='nat'/><bridge name='virbr3'/><mtu size='1400'/></network>";
  const n = parseNetworkXml(live, { uuid: 'u', active: true, autostart: false, persistent: true }, [], defined);
  assert.deepEqual(n.pending, { mtu: 1400 }, "libvirt's runtime NAT port range is no edit");
  assert.equal(n.mtu, null, 'the typed fields say what runs');
  const nic = (model: string) =>
    `<domain><name>v</name><devices><interface type='network'><mac address='52:54:00:00:00:01'/><source network='p'/><model type='${model}'/></interface></devices></domain>`;
  const d = parseDomainXml(nic('rtl8139'), { uuid: 'u', state: 'running', persistent: true, autostart: false }, nic('virtio'));
  assert.deepEqual(d.interfaces[0]?.pending, { model: 'virtio' });
  assert.deepEqual(
    parseDomainXml(nic('virtio'), { uuid: 'u', state: 'running', persistent: true, autostart: false }, nic('virtio')).interfaces[0]?.pending,
    {},
  );
});
