/**
 * Lab tier: libvirt networks made with the CLI, as a real guest sees them (issue 9, the guest
 * part). One TCG guest of the lab image boots once, with a NIC on a NAT network and one on an
 * isolated network, both created by `virtnet network create` over real SSH:
 *   - each NIC gets a lease inside its network's DHCP range: libvirt's lease list and the guest's
 *     own report on its serial console agree, and the isolated network offers no router;
 *   - a static host added live (`dhcp-host-add`) changes nothing until the guest renews; after
 *     its renew the guest holds the fixed address, in its own eyes and in libvirt's leases;
 *   - the isolated network gives the guest no way out to the LAN behind the host's second NIC
 *     (dhcp-lan.ts), even with routes through the host both ways, while the NAT network takes
 *     it there (masqueraded: the LAN has no route back to the NAT subnet).
 * The guest is driven through its serial command channel (guest.ts).
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { after, before, test } from 'node:test';
import { onLab } from './cli';
import { lanUp, type Lan } from './dhcp-lan';
import { guestUp, type Guest } from './guest';
import { labSkipReason, labUp, type LabHost } from './lab';

const skip = labSkipReason();
// Generous: the waits inside (a TCG boot, DHCP) give up first, with the serial log.
const opts = { skip: skip ?? false, timeout: 300_000 };

const NAT = { net: 'gnat', mac: '52:54:00:43:00:01', address: '192.168.143.1/24', range: ['192.168.143.100', '192.168.143.120'] as const };
const ISO = { net: 'giso', mac: '52:54:00:43:00:02', address: '192.168.144.1/24', range: ['192.168.144.100', '192.168.144.120'] as const };
const FIXED = '192.168.143.10';

let host: LabHost;
let lan: Lan | undefined;
let guest: Guest | undefined;

before(
  async () => {
    if (skip) return;
    host = await labUp('guests', 43);
    // The "outside world": a LAN namespace at 10.233.43.1 behind the host's enp4s0 (10.233.43.2).
    lan = await lanUp(host);
  },
  { timeout: 180_000 },
);

after(
  async () => {
    if (skip) return;
    await guest?.remove();
    for (const n of [NAT.net, ISO.net]) await host?.exec(['sh', '-c', `virsh net-destroy ${n}; virsh net-undefine ${n}`]);
    await lan?.down().catch((e) => console.error(`LAN down: ${e}`));
    await host?.down();
  },
  { timeout: 120_000 },
);

const cli = (...args: string[]) => onLab(host, '--yes')(...args);
/** `ip ARGS` inside the LAN namespace (run from the root namespace: the lab host does not see it). */
const lanIp = (...args: string[]) =>
  new Promise<{ code: number; out: string }>((resolve) => {
    execFile('ip', ['-n', lan!.ns, ...args], (err, stdout, stderr) => resolve({ code: err ? Number(err.code ?? 1) : 0, out: stdout + stderr }));
  });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** An address as a literal inside a RegExp. */
const lit = (ip: string) => ip.replace(/\./g, '\\.');
const ipNum = (ip: string) => ip.split('.').reduce((n, o) => n * 256 + Number(o), 0);
const inRange = (ip: string, [start, end]: readonly [string, string]) => ipNum(ip) >= ipNum(start) && ipNum(ip) <= ipNum(end);

/** The addresses libvirt lists as leased to `mac` on network `net`. */
async function leases(net: string, mac: string): Promise<string[]> {
  const r = await host.exec(['virsh', '-q', 'net-dhcp-leases', net, '--mac', mac]);
  return [...r.stdout.matchAll(/\bipv4\s+(\d+\.\d+\.\d+\.\d+)\//g)].map((m) => m[1]!);
}

/** Polls libvirt's leases (every 500 ms, up to 60 s) until `ok` holds for them; returns them. */
async function waitLeases(net: string, mac: string, ok: (ips: string[]) => boolean, what: string): Promise<string[]> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const ips = await leases(net, mac);
    if (ok(ips)) return ips;
    if (Date.now() > deadline) assert.fail(`${what}: libvirt lists ${JSON.stringify(ips)} for ${mac} on ${net}\n${await why(net)}`);
    await sleep(500);
  }
}

/** What dnsmasq and the guest say, for failure messages. */
async function why(net: string): Promise<string> {
  const r = await host.exec([
    'sh',
    '-c',
    `virsh net-dhcp-leases ${net}; echo "-- hostsfile:"; cat /var/lib/libvirt/dnsmasq/${net}.hostsfile; ` +
      `b=$(virsh net-info ${net} | awk '/^Bridge:/ {print $2}'); echo "-- $b.status:"; cat /var/lib/libvirt/dnsmasq/$b.status; ` +
      `echo "-- conf:"; grep -v '^#' /var/lib/libvirt/dnsmasq/${net}.conf`,
  ]);
  return `dnsmasq of ${net}:\n${r.stdout}${r.stderr}\nserial log of ${guest?.name ?? '(no guest)'} ends:\n${guest?.tail() ?? ''}`;
}

/** The guest's IPv4 addresses on `dev`. */
async function guestAddrs(g: Guest, dev: string): Promise<string[]> {
  const r = await g.run(`ip -4 -o addr show dev ${dev}`);
  assert.equal(r.code, 0, r.output);
  return [...r.output.matchAll(/inet (\d+\.\d+\.\d+\.\d+)\//g)].map((m) => m[1]!);
}

function needGuest(): Guest {
  assert.ok(guest, 'the guest of the first test never started');
  return guest;
}

test('a guest on a NAT and an isolated network made with the CLI: a lease inside each range, seen by libvirt and by the guest', opts, async () => {
  for (const n of [NAT, ISO]) {
    const r = await cli('network', 'create', n.net, '--forward', n === NAT ? 'nat' : 'isolated', '--address', n.address, '--dhcp-range', n.range.join('-'));
    assert.equal(r.code, 0, `${n.net}: ${r.stdout}\n${r.stderr}`);
  }
  guest = await guestUp(host, 'gnet', [
    { mac: NAT.mac, network: NAT.net },
    { mac: ISO.mac, network: ISO.net },
  ]);
  for (const n of [NAT, ISO]) {
    const eth = await guest.ifname(n.mac);
    // The guest's udhcpc script prints this line once it configured the address.
    const bound = await guest.waitSerial(new RegExp(`virtnet-guest: ${eth} bound (\\S+)/24 router (\\S+)`), `lease on ${eth} (${n.net})`);
    const ip = bound[1]!;
    assert.ok(inRange(ip, n.range), `${n.net}: the guest bound ${ip}, outside ${n.range.join('-')}\n${await why(n.net)}`);
    assert.equal(bound[2], n === NAT ? NAT.address.split('/')[0] : 'none', `${n.net}: the router offered`);
    const listed = await waitLeases(n.net, n.mac, (ips) => ips.includes(ip), `the lease of ${ip}`);
    assert.deepEqual(listed, [ip], `${n.net}: libvirt's leases for the guest's NIC`);
    assert.deepEqual(await guestAddrs(guest, eth), [ip], `${n.net}: the address on the guest's ${eth}`);
  }
});

test('a static host added live: the guest keeps its lease until it renews, then holds the fixed address', opts, async () => {
  const g = needGuest();
  const eth = await g.ifname(NAT.mac);
  const [old] = await guestAddrs(g, eth);
  assert.ok(old && inRange(old, NAT.range), `the guest starts from its lease in the range, not ${old}`);

  const r = await cli('network', 'dhcp-host-add', NAT.net, `${NAT.mac},${FIXED},gfix`);
  assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
  assert.match(await host.sh(`cat /var/lib/libvirt/dnsmasq/${NAT.net}.hostsfile`), new RegExp(`${NAT.mac},${lit(FIXED)},gfix`), 'dnsmasq has the host');
  // Nothing reaches a guest until it asks: it still holds the address it leased.
  assert.deepEqual(await guestAddrs(g, eth), [old], 'before the renew');

  // udhcpc renews on SIGUSR1: dnsmasq refuses the old address to a client that has a static one
  // (DHCPNAK, "static lease available"), so the client starts over and is offered the fixed
  // address. dnsmasq re-reads its hosts on libvirt's SIGHUP, asynchronously: a renew it answered
  // before that keeps the old address, and the guest asks again.
  for (let attempt = 1; ; attempt++) {
    const from = g.serial().length;
    const renew = await g.run(`kill -USR1 $(cat /run/udhcpc.${eth}.pid)`);
    assert.equal(renew.code, 0, renew.output);
    const m = await g
      .waitSerial(new RegExp(`virtnet-guest: ${eth} (?:bound ${lit(FIXED)}|renew ${lit(old)})/`), `the outcome of renew ${attempt}`, {
        from,
        timeoutMs: 60_000,
      })
      .catch(async (e: Error) => assert.fail(`${e.message}\n${await why(NAT.net)}`));
    if (m[0].includes(' bound ')) break;
    assert.ok(attempt < 3, `dnsmasq kept renewing ${old} to the guest ${attempt} times\n${await why(NAT.net)}`);
  }
  assert.deepEqual(await guestAddrs(g, eth), [FIXED], `the guest's ${eth} after the renew\n${await why(NAT.net)}`);
  await waitLeases(NAT.net, NAT.mac, (ips) => ips.includes(FIXED), `the lease of ${FIXED}`);
  // And the host reaches it there.
  const ping = await host.exec(['sh', '-c', `for i in $(seq 10); do busybox ping -c 1 -W 2 ${FIXED} && exit 0; sleep 1; done; exit 1`]);
  assert.equal(ping.code, 0, `the host pings the guest at ${FIXED}: ${ping.stdout}${ping.stderr}\n${await why(NAT.net)}`);
});

test('the isolated network gives the guest no way out to the LAN behind the host; the NAT network does', opts, async () => {
  const g = needGuest();
  const target = lan!.server;
  const natEth = await g.ifname(NAT.mac);
  const isoEth = await g.ifname(ISO.mac);
  const isoHost = ISO.address.split('/')[0]!;
  // The outside world is the LAN namespace: the host reaches it on enp4s0, and the LAN has no
  // route back to the NAT subnet, so an answer the guest gets from there proves the masquerade.
  const fromHost = await host.exec(['busybox', 'ping', '-c', '1', '-W', '5', target]);
  assert.equal(fromHost.code, 0, `the host reaches the LAN at ${target}: ${fromHost.stdout}${fromHost.stderr}`);
  const back = await lanIp('route', 'get', NAT.address.split('/')[0]!);
  assert.match(back.out, /unreachable/i, `the LAN has no route to ${NAT.address}: ${back.out}`);
  // To the isolated subnet it has one, through the host: were the host to forward the guest's
  // packets there, the answers would come back, so only the network's isolation can stop them.
  const isoNet = ISO.address.replace(/\.1\//, '.0/');
  const route = await lanIp('route', 'add', isoNet, 'via', lan!.reserved);
  assert.equal(route.code, 0, route.out);

  // Isolated: the guest reaches the host there, but nothing beyond it, not even through a route
  // via the host (the network offered none; the guest adds one).
  let r = await g.run(`ping -c 1 -W 5 ${isoHost}`);
  assert.equal(r.code, 0, `the guest reaches the host on ${ISO.net} (${isoHost}): ${r.output}\n${await why(ISO.net)}`);
  r = await g.run(`ip route add ${target}/32 via ${isoHost} dev ${isoEth} && ip route get ${target}`);
  assert.equal(r.code, 0, r.output);
  assert.match(r.output, new RegExp(`dev ${isoEth}`), 'the route to the LAN goes through the isolated network');
  try {
    r = await g.run(`ping -c 2 -W 3 ${target}`);
    assert.notEqual(r.code, 0, `the guest reached ${target} through the isolated network ${ISO.net}: ${r.output}`);
  } finally {
    r = await g.run(`ip route del ${target}/32`);
    assert.equal(r.code, 0, r.output);
  }

  // NAT: the guest's default route (the router the NAT network offered) takes it to the LAN.
  r = await g.run(`ip route get ${target}`);
  assert.match(r.output, new RegExp(`via ${lit(NAT.address.split('/')[0]!)} dev ${natEth}`), `the guest's route to the LAN: ${r.output}`);
  r = await g.run(`for i in 1 2 3 4 5; do ping -c 1 -W 3 ${target} && exit 0; sleep 1; done; exit 1`);
  const fw = await host.exec(['sh', '-c', 'iptables -L FORWARD -v -n; iptables -t nat -L -v -n']);
  assert.equal(r.code, 0, `the guest reaches ${target} through the NAT network ${NAT.net}: ${r.output}\n${await why(NAT.net)}\nhost firewall:\n${fw.stdout}`);
});
