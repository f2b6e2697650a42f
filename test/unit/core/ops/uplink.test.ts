import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { buildHostModel } from '../../../../src/core/collect/build';
import { undoScript } from '../../../../src/core/ops/plan';
import { planAddresses } from '../../../../src/core/ops/address';
import { planUplink } from '../../../../src/core/ops/uplink';

// A lab host as it comes up: enp3s1 holds 10.231.2.2/24, default via 10.231.2.1 (fixture README).
const model = buildHostModel({
  host: 'vnl-b',
  output: readFileSync(new URL('../../../fixtures/collector/bare.out', import.meta.url), 'utf8'),
  nonce: 'f1x7u2e0n0ce',
  asRoot: null,
});
const mac = model.links.find((l) => l.name === 'enp3s1')!.mac!;

test("static uplink: the guide's addbr/addif/address move as steps, routes moved explicitly", () => {
  const plan = planUplink(model, { nic: 'enp3s1', bridge: 'br9', stp: true, forwardDelay: 2, address: '10.231.2.2/24' });
  assert.deepEqual(
    plan.steps.map((s) => s.argv.join(' ')),
    [
      'ip link add name br9 type bridge stp_state 1 forward_delay 200',
      `ip link set dev br9 address ${mac}`,
      'ip link set dev br9 up',
      'ip route del default via 10.231.2.1 dev enp3s1',
      'ip addr del 10.231.2.2/24 dev enp3s1',
      'ip link set dev enp3s1 master br9',
      'ip addr add 10.231.2.2/24 dev br9',
      'ip route add default via 10.231.2.1 dev br9',
    ],
  );
  // Every step after the bridge exists is on the session's path, so the plan runs guarded.
  assert.deepEqual(
    plan.steps.map((s) => s.touchesConnection),
    [false, false, false, true, true, true, true, true],
  );
  assert.match(plan.warnings.join('\n'), /about 4 s without traffic/);
  // The rollback undoes in reverse: route off br9, address off br9, release, address and route back.
  assert.deepEqual(
    undoScript(plan)
      .split('\n')
      .filter((l) => l.startsWith('ip')),
    [
      'ip route del default via 10.231.2.1 dev br9 || true',
      'ip addr del 10.231.2.2/24 dev br9 || true',
      'ip link set dev enp3s1 nomaster || true',
      'ip addr add 10.231.2.2/24 dev enp3s1 || true',
      'ip route add default via 10.231.2.1 dev enp3s1 || true',
      'ip link del dev br9 || true',
    ],
  );
});

test('an explicit gateway replaces the moved default route', () => {
  const plan = planUplink(model, { nic: 'enp3s1', bridge: 'br9', stp: false, address: '10.231.2.5/24', gateway: '10.231.2.254' });
  assert.equal(plan.steps.at(-1)?.argv.join(' '), 'ip route add default via 10.231.2.254 dev br9');
});

test('uplink input is refused with every reason', () => {
  assert.throws(() => planUplink(model, { nic: 'enp3s1', bridge: 'br9', stp: false }), /--dhcp or --address/);
  assert.throws(() => planUplink(model, { nic: 'eth9', bridge: 'br9', stp: false, address: '10.0.0.1/24' }), /no interface "eth9"/);
  assert.throws(() => planUplink(model, { nic: 'enp3s1', bridge: 'br9', stp: false, address: '10.0.0.1' }), /no prefix length/);
  assert.throws(() => planUplink(model, { nic: 'enp3s1', bridge: 'br9', stp: false, address: '10.0.0.1/24', gateway: 'gw' }), /not an IPv4/);
  assert.throws(() => planUplink(model, { nic: 'enp3s1', bridge: 'br9', stp: false, dhcp: true, address: '10.0.0.1/24' }), /either --dhcp or --address/);
  // The lab host has no DHCP client installed: DHCP is refused rather than planned blind.
  if (!model.info.tools.dhclient && !model.info.tools.dhcpcd && !model.info.tools.udhcpc) {
    assert.throws(() => planUplink(model, { nic: 'enp3s1', bridge: 'br9', stp: false, dhcp: true }), /no DHCP client/);
  }
});

test('addresses: clearing the last one moves the routes through it first, so undo restores them', () => {
  const plan = planAddresses(model, { ifname: 'enp3s1', clear: true });
  assert.deepEqual(
    plan.steps.map((s) => s.argv.join(' ')),
    ['ip route del default via 10.231.2.1 dev enp3s1', 'ip addr del 10.231.2.2/24 dev enp3s1'],
  );
  assert.ok(plan.steps.every((s) => s.touchesConnection));
  assert.deepEqual(
    undoScript(plan)
      .split('\n')
      .filter((l) => l.startsWith('ip')),
    ['ip addr add 10.231.2.2/24 dev enp3s1 || true', 'ip route add default via 10.231.2.1 dev enp3s1 || true'],
  );
  assert.throws(() => planAddresses(model, { ifname: 'enp3s1', add: ['10.231.2.2/24'] }), /already has/);
  assert.throws(() => planAddresses(model, { ifname: 'enp3s1' }), /nothing to do/);
});

/** The fixture host with dhclient installed (the fixture itself has no DHCP client). */
const withDhclient = { ...model, info: { ...model.info, tools: { ...model.info.tools, dhclient: true, dhcpcd: false, udhcpc: false } } };

test('DHCP uplink: the default route moves off the NIC and must come back from DHCP, or all is undone', () => {
  const plan = planUplink(withDhclient, { nic: 'enp3s1', bridge: 'br9', stp: false, dhcp: true });
  const argv = plan.steps.map((s) => s.argv);
  assert.deepEqual(
    argv.slice(0, 6).map((a) => a.join(' ')),
    [
      'ip link add name br9 type bridge stp_state 0',
      `ip link set dev br9 address ${mac}`,
      'ip link set dev br9 up',
      'ip route del default via 10.231.2.1 dev enp3s1',
      'ip addr del 10.231.2.2/24 dev enp3s1',
      'ip link set dev enp3s1 master br9',
    ],
  );
  // No route is re-added by hand: DHCP brings its own, and the check step demands a default one.
  assert.equal(argv[7]!.slice(0, 5).join(' '), 'timeout -k 5 10 dhclient');
  assert.equal(argv[7]!.at(-1), 'br9');
  assert.deepEqual(argv[8]!.slice(-2), ['br9', '1']);
  assert.equal(plan.steps.length, 9);
  assert.ok(
    plan.steps
      .slice(3)
      .filter((s) => s.argv[0] !== 'sh' || s.argv[3] !== 'virtnet-keep')
      .every((s) => s.touchesConnection),
  );
  // Rollback: release (stops the daemon), resolv.conf back, then the bridge undone as for static.
  const undo = undoScript(plan).split('\n').slice(2, -1);
  assert.match(undo[0]!, /^dhclient -r -pf \/run\/dhclient\.br9\.pid .* br9 \|\| true$/);
  assert.match(undo[1]!, /virtnet-restore/);
  assert.deepEqual(undo.slice(2), [
    'ip link set dev enp3s1 nomaster || true',
    'ip addr add 10.231.2.2/24 dev enp3s1 || true',
    'ip route add default via 10.231.2.1 dev enp3s1 || true',
    'ip link del dev br9 || true',
  ]);
});

test('DHCP uplink with STP: the client waits through listening and learning', () => {
  const plan = planUplink(withDhclient, { nic: 'enp3s1', bridge: 'br9', stp: true, forwardDelay: 4, dhcp: true });
  const run = plan.steps.find((s) => s.argv.includes('dhclient'))!;
  assert.equal(run.argv[3], String(10 + 2 * 4));
  assert.match(run.why, /at most 18 s/);
});

test('DHCP uplink refused when only busybox udhcpc is there, and with a gateway', () => {
  const udhcpcOnly = { ...model, info: { ...model.info, tools: { ...model.info.tools, dhclient: false, dhcpcd: false, udhcpc: true } } };
  assert.throws(() => planUplink(udhcpcOnly, { nic: 'enp3s1', bridge: 'br9', stp: false, dhcp: true }), /only busybox udhcpc/);
  assert.throws(
    () => planUplink(withDhclient, { nic: 'enp3s1', bridge: 'br9', stp: false, dhcp: true, gateway: '10.231.2.1' }),
    /--gateway goes with --address/,
  );
});

test('addresses --dhcp: no static IPv4 address may stay beside the lease; --clear --dhcp moves the routes to DHCP', () => {
  assert.throws(() => planAddresses(withDhclient, { ifname: 'enp3s1', dhcp: true }), /must keep no static IPv4 address \(10\.231\.2\.2\/24\)/);
  assert.throws(() => planAddresses(withDhclient, { ifname: 'enp3s1', clear: true, add: ['10.9.9.9/24'], dhcp: true }), /10\.9\.9\.9\/24/);
  const plan = planAddresses(withDhclient, { ifname: 'enp3s1', clear: true, dhcp: true });
  assert.deepEqual(
    plan.steps.slice(0, 2).map((s) => s.argv.join(' ')),
    ['ip route del default via 10.231.2.1 dev enp3s1', 'ip addr del 10.231.2.2/24 dev enp3s1'],
  );
  assert.equal(plan.steps[3]!.argv[4], 'dhclient');
  assert.deepEqual(plan.steps[4]!.argv.slice(-2), ['enp3s1', '1'], 'the default route taken off must come back');
  assert.deepEqual(plan.warnings, []);
  // On an interface without addresses (a fresh bridge): just the three DHCP steps, no route demanded.
  const bare = { ...withDhclient, links: withDhclient.links.map((l) => (l.name === 'enp3s1' ? { ...l, addresses: [] } : l)), routes: [] };
  const only = planAddresses(bare, { ifname: 'enp3s1', dhcp: true });
  assert.equal(only.steps.length, 3);
  assert.deepEqual(only.steps[2]!.argv.slice(-2), ['enp3s1', '0']);
});
