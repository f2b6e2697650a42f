/**
 * Creating libvirt networks, on the captured seed and bare lab hosts: the XML of every forward
 * mode read back by the collector's own parser (so what VirtNet writes is what the tree will
 * show), and the refusals, all at once, for hostile and overlapping input. The lab tier
 * (test/lab/networks.test.ts) has the real libvirt define and start the same XML.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { seedModel } from '../../../fixtures';
import { parseNetworkXml } from '../../../../../src/core/collect/parse-network';
import type { HostModel } from '../../../../../src/core/model/types';
import { networkXml, planNetworkCreate, type NetworkCreateIntent } from '../../../../../src/core/ops/libvirt/networkCreate';
import { PlanInputError } from '../../../../../src/core/ops/plan';

/** The seed lab host: br9 (enp3s1, vnet0), virbr0 192.168.122.1/24 (vnet1 of VM c7). */
const seed = seedModel();

const facts = { uuid: '00000000-0000-4000-8000-000000000001', active: false, autostart: false, persistent: true };
/** What the plan defines, read back as the inventory would read libvirt's dump of it. */
function readBack(model: HostModel, intent: NetworkCreateIntent) {
  const plan = planNetworkCreate(model, intent);
  const define = plan.steps[0]!.argv;
  // virshWithXmlArgv hands the XML over as the last argument of its sh -c wrapper.
  const xml = define.find((a) => a.startsWith('<network>'));
  assert.ok(xml, `the define step carries the XML: ${JSON.stringify(define)}`);
  return { plan, xml, net: parseNetworkXml(xml, facts, []) };
}

function refused(model: HostModel, intent: NetworkCreateIntent): string[] {
  try {
    planNetworkCreate(model, intent);
  } catch (e) {
    if (e instanceof PlanInputError) return e.problems;
    throw e;
  }
  assert.fail(`planned although it should be refused: ${JSON.stringify(intent)}`);
}

test('NAT with everything: bridge, STP, delay, MTU, domain, forwarders, isolation, ranges of both families, hosts', () => {
  const { net, plan } = readBack(seed, {
    name: 'lab',
    forward: 'nat',
    dev: 'br9',
    bridgeName: 'virbr7',
    stp: false,
    delay: 2,
    address: '192.168.50.1/24',
    dhcpRanges: ['192.168.50.10-192.168.50.99', '192.168.50.150-192.168.50.160'],
    dhcpHosts: [
      { mac: '52:54:00:aa:00:01', ip: '192.168.50.101', name: 'web' },
      { mac: '52:54:00:aa:00:02', ip: '192.168.50.102' },
    ],
    ipv6: 'fd00:50::1/64',
    ipv6Ranges: ['fd00:50::100-fd00:50::1ff'],
    domain: 'lab.test',
    forwarders: ['192.0.2.53', '2001:db8::53'],
    mtu: 1400,
    isolatePorts: true,
    autostart: true,
  });
  assert.equal(net.name, 'lab');
  assert.equal(net.forwardMode, 'nat');
  assert.equal(net.forwardDev, 'br9');
  assert.equal(net.bridge, 'virbr7');
  assert.equal(net.stp, false);
  assert.equal(net.stpDelay, 2);
  assert.equal(net.mtu, 1400);
  assert.equal(net.domainName, 'lab.test');
  assert.deepEqual(
    net.dns?.forwarders.map((f) => f.addr),
    ['192.0.2.53', '2001:db8::53'],
  );
  assert.equal(net.portIsolated, true);
  const [v4, v6] = net.ips;
  assert.deepEqual([v4?.family, v4?.address, v4?.prefix], ['ipv4', '192.168.50.1', 24]);
  assert.deepEqual(
    v4?.dhcpRanges.map((r) => `${r.start}-${r.end}`),
    ['192.168.50.10-192.168.50.99', '192.168.50.150-192.168.50.160'],
  );
  assert.deepEqual(
    v4?.dhcpHosts.map((h) => [h.mac, h.ip, h.name]),
    [
      ['52:54:00:aa:00:01', '192.168.50.101', 'web'],
      ['52:54:00:aa:00:02', '192.168.50.102', null],
    ],
  );
  assert.deepEqual([v6?.family, v6?.address, v6?.prefix], ['ipv6', 'fd00:50::1', 64]);
  assert.deepEqual(
    v6?.dhcpRanges.map((r) => `${r.start}-${r.end}`),
    ['fd00:50::100-fd00:50::1ff'],
  );
  // define, start, autostart: each with its undo.
  assert.equal(plan.steps.length, 3);
  assert.ok(plan.steps.every((s) => s.undo !== null));
});

test('every forward mode reads back as that mode, with its device and bridge', () => {
  const cases: { intent: NetworkCreateIntent; mode: string; dev: string | null; bridge: string | null; ifaces?: string[] }[] = [
    { intent: { name: 'n', forward: 'nat', address: '192.168.60.1/24' }, mode: 'nat', dev: null, bridge: 'virbr1' },
    { intent: { name: 'r', forward: 'route', dev: 'br9', address: '192.168.61.1/24' }, mode: 'route', dev: 'br9', bridge: 'virbr1' },
    { intent: { name: 'o', forward: 'open', address: '192.168.62.1/24' }, mode: 'open', dev: null, bridge: 'virbr1' },
    { intent: { name: 'i', forward: 'isolated', address: '192.168.63.1/24' }, mode: 'isolated', dev: null, bridge: 'virbr1' },
    { intent: { name: 'i0', forward: 'isolated' }, mode: 'isolated', dev: null, bridge: 'virbr1' },
    { intent: { name: 'b', forward: 'bridge', dev: 'br9' }, mode: 'bridge', dev: null, bridge: 'br9' },
    { intent: { name: 'p', forward: 'private', dev: 'vnet0' }, mode: 'private', dev: null, bridge: null, ifaces: ['vnet0'] },
    { intent: { name: 'v', forward: 'vepa', dev: 'vnet0' }, mode: 'vepa', dev: null, bridge: null, ifaces: ['vnet0'] },
    { intent: { name: 'pt', forward: 'passthrough', dev: 'vnet0' }, mode: 'passthrough', dev: null, bridge: null, ifaces: ['vnet0'] },
  ];
  for (const c of cases) {
    const { net } = readBack(seed, c.intent);
    const what = `${c.intent.forward} (${c.intent.name})`;
    assert.equal(net.forwardMode, c.mode, what);
    assert.equal(net.forwardDev, c.dev, what);
    assert.equal(net.bridge, c.bridge, what);
    if (c.ifaces) assert.deepEqual(net.forwardInterfaces, c.ifaces, what);
    // Own bridges get libvirt's defaults spelled out; the others have no STP of libvirt's.
    assert.equal(net.stp, c.bridge?.startsWith('virbr') ? true : null, what);
  }
});

test('values are escaped in the XML: a name with an apostrophe cannot break out of its attribute (it is refused anyway)', () => {
  const xml = networkXml({ name: "a'b<c>&", forward: 'nat', address: '192.168.64.1/24', domain: "x'y" }, 'virbr1');
  assert.ok(!xml.includes("a'b") && xml.includes('a&apos;b&lt;c&gt;&amp;'), xml);
  assert.ok(xml.includes("<domain name='x&apos;y'/>"), xml);
  const problems = refused(seed, { name: "a'b", forward: 'nat', address: '192.168.64.1/24' });
  assert.ok(
    problems.some((p) => /network name/.test(p)),
    problems.join('\n'),
  );
});

test('overlaps with the host are refused before anything runs, naming who holds the subnet', () => {
  // virbr0's 192.168.122.0/24 (the default network) and the lab uplink 10.231.x.0/24.
  const p1 = refused(seed, { name: 'dup', forward: 'nat', address: '192.168.122.200/25' });
  assert.ok(
    p1.some((p) => /overlaps 192\.168\.122\.1\/24 of interface virbr0/.test(p) && /already in use/.test(p)),
    p1.join('\n'),
  );
  const p2 = refused(seed, { name: 'wide', forward: 'nat', address: '192.168.0.1/16' });
  assert.ok(
    p2.some((p) => /overlaps 192\.168\.122/.test(p)),
    p2.join('\n'),
  );
  const uplink = seed.links.find((l) => l.name === 'br9')!.addresses[0]!;
  const p3 = refused(seed, { name: 'lan', forward: 'route', dev: 'br9', address: uplink });
  assert.ok(
    p3.some((p) => p.includes('of interface br9')),
    p3.join('\n'),
  );
});

test('hostile and inconsistent input: every problem at once, nothing planned', () => {
  const problems = refused(seed, {
    name: 'default',
    forward: 'nat',
    bridgeName: 'virbr0',
    address: '192.168.70.1/24',
    dhcpRanges: [
      '192.168.70.1-192.168.70.20',
      '192.168.71.10-192.168.71.20',
      '192.168.70.50-192.168.70.40',
      '192.168.70.30-192.168.70.60',
      '192.168.70.55-192.168.70.58',
      '1.2.3.4;reboot',
    ],
    dhcpHosts: [
      { mac: '52:54:00:aa:00:01', ip: '192.168.70.9', name: 'x' },
      { mac: '52:54:00:aa:00:01', ip: '192.168.70.9', name: 'x' },
      { mac: '01:00:5e:00:00:01', ip: '10.9.9.9' },
      { mac: '52:54:00:aa:00:03', ip: '192.168.70.1', name: '$(id)' },
    ],
    ipv6Ranges: ['fd00::1-fd00::2'],
    forwarders: ['dns.example'],
    mtu: 20,
    delay: 99,
    domain: '-bad-',
  });
  const want = [
    /already has a libvirt network named "default"/,
    /(uses the bridge virbr0|virbr0 already exists)/,
    /holds the host's own address 192\.168\.70\.1/,
    /192\.168\.71\.10-192\.168\.71\.20 is not inside/,
    /ends before it starts/,
    /192\.168\.70\.55-192\.168\.70\.58 overlaps the range 192\.168\.70\.30-192\.168\.70\.60/,
    /"1\.2\.3\.4;reboot" is not an IPv4 range/,
    /two static hosts share the MAC 52:54:00:aa:00:01/,
    /two static hosts share the IP 192\.168\.70\.9/,
    /two static hosts share the name x/,
    /multicast/,
    /10\.9\.9\.9 is not inside/,
    /192\.168\.70\.1 is the host's own address/,
    /host name/,
    /IPv6 range fd00::1-fd00::2 needs --ipv6/,
    /DNS forwarder/,
    /not an MTU/,
    /forward delay/,
    /-bad-/,
  ];
  for (const w of want)
    assert.ok(
      problems.some((p) => w.test(p)),
      `no problem matching ${w}:\n${problems.join('\n')}`,
    );
});

test('IPv6 ranges: inside the IPv6 subnet, not over the host, not an IPv4 range', () => {
  const base: NetworkCreateIntent = { name: 'six', forward: 'nat', address: '192.168.72.1/24', ipv6: 'fd00:72::1/64' };
  assert.doesNotThrow(() => planNetworkCreate(seed, { ...base, ipv6Ranges: ['fd00:72::10-fd00:72::ff'] }));
  const problems = refused(seed, { ...base, ipv6Ranges: ['fd00:73::10-fd00:73::ff', 'fd00:72::0-fd00:72::9', '192.168.72.10-192.168.72.20'] });
  assert.ok(
    problems.some((p) => /fd00:73::10-fd00:73::ff is not inside fd00:72::1\/64/.test(p)),
    problems.join('\n'),
  );
  assert.ok(
    problems.some((p) => /holds the host's own address fd00:72::1/.test(p)),
    problems.join('\n'),
  );
  assert.ok(
    problems.some((p) => /"192\.168\.72\.10-192\.168\.72\.20" is not an IPv6 range/.test(p)),
    problems.join('\n'),
  );
});

test("modes without a bridge of libvirt's refuse what only such a bridge has", () => {
  const problems = refused(seed, { name: 'b2', forward: 'bridge', dev: 'br9', stp: false, isolatePorts: true, forwarders: ['192.0.2.1'] });
  assert.ok(
    problems.some((p) => /bridge network has no addresses, DHCP, DNS, MTU, STP or port isolation/.test(p)),
    problems.join('\n'),
  );
  const mac = refused(seed, { name: 'm', forward: 'vepa' });
  assert.ok(
    mac.some((p) => /needs the host NIC/.test(p)),
    mac.join('\n'),
  );
  const virbr0 = refused(seed, { name: 'b4', forward: 'bridge', dev: 'virbr0' });
  assert.ok(
    virbr0.some((p) => /virbr0 is the bridge libvirt made for network default/.test(p)),
    virbr0.join('\n'),
  );
  const notBridge = refused(seed, { name: 'b3', forward: 'bridge', dev: 'vnet0' });
  assert.ok(
    notBridge.some((p) => /vnet0 is not a Linux bridge/.test(p)),
    notBridge.join('\n'),
  );
});
