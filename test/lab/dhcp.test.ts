/**
 * Lab tier: DHCP for real. Two lab hosts (19: dhclient, 20: dhcpcd with dhclient hidden), each
 * with a second NIC enp4s0 on a LAN namespace whose dnsmasq reserves the NIC's address for its
 * MAC (see dhcp-lan.ts). The CLI runs inside the LAN, so bridging enp4s0 is on the session's path
 * and runs guarded. Every change is then undone with the plan's own undo (what the guard's
 * rollback runs), and the host must be exactly as before: addresses, routes, links, resolv.conf,
 * no DHCP client process, no pid or guard files. Nothing of the machine's own is touched.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, readlinkSync, statSync } from 'node:fs';
import { after, before, test } from 'node:test';
import { collectInventory } from '../../src/core/collect/collect';
import { SshExecutor } from '../../src/core/exec/ssh';
import { shJoin } from '../../src/core/exec/quote';
import { planAddresses } from '../../src/core/ops/address';

import { undoScript, type Plan } from '../../src/core/ops/plan';
import { planUplink } from '../../src/core/ops/uplink';
import { onLab } from './cli';
import { lanUp, type Lan } from './dhcp-lan';
import { guardLeftovers, labSkipReason, labUp, type LabHost } from './lab';

const skip =
  labSkipReason() ??
  (!existsSync('/usr/sbin/dhclient')
    ? 'dhclient (isc-dhcp-client) is not installed'
    : !existsSync('/usr/sbin/dhcpcd')
      ? 'dhcpcd (dhcpcd-base) is not installed'
      : null);
const opts = { skip: skip ?? false, timeout: 240_000 };

interface Site {
  host: LabHost;
  lan: Lan;
  /** state() right after the LAN came up: what every undo must return to. */
  baseline: string;
}
let a: Site | undefined;
let b: Site | undefined;
const started: LabHost[] = [];
const lans: Lan[] = [];

/** The machine's own files a DHCP client could write: must be byte-identical at the end. */
function machineFiles(): string {
  const h = createHash('sha256');
  for (const f of ['/etc/resolv.conf', '/etc/hosts', '/etc/hostname']) h.update(`${f}:${existsSync(f) ? readFileSync(f, 'utf8') : '-'}\n`);
  for (const d of ['/var/lib/dhcp', '/var/lib/dhcpcd', '/etc', '/run'])
    h.update(
      `${d}:${
        existsSync(d)
          ? readdirSync(d)
              .filter((n) => /dhc|resolv|virtnet/.test(n))
              .sort()
              .join(',')
          : '-'
      }\n`,
    );
  return h.digest('hex');
}
let machineBefore = '';

async function site(name: string, index: number, prepare?: (h: LabHost) => Promise<void>): Promise<Site> {
  const host = await labUp(name, index, { libvirt: false });
  started.push(host);
  await prepare?.(host);
  const lan = await lanUp(host);
  lans.push(lan);
  return { host, lan, baseline: await state(host) };
}

before(
  async () => {
    if (skip) return;
    machineBefore = machineFiles();
    // DHCP clients write pid files and sockets into /run: these hosts get a /run of their own
    // (labhost.sh reads this from the environment labUp passes on).
    process.env.LAB_PRIVATE_RUN = '1';
    a = await site('dhcp', 19);
    b = await site('dhcpcd', 20, async (h) => {
      // Hide dhclient in this host's own mount namespace only, so the collector finds dhcpcd.
      const r = await h.exec(['sh', '-c', 'f=$(mktemp) && chmod 000 "$f" && mount --bind "$f" /usr/sbin/dhclient && rm -f "$f"']);
      assert.equal(r.code, 0, r.stderr);
    });
  },
  { timeout: 240_000 },
);

after(
  async () => {
    if (skip) return;
    // Whatever failed above: every LAN (its dnsmasq, sshd, namespace) and lab host goes.
    for (const l of lans) await l.down().catch((e) => console.error(`LAN down: ${e}`));
    for (const h of started) await h.down().catch((e) => console.error(`${h.name} down: ${e}`));
  },
  { timeout: 120_000 },
);

/** Addresses, routes, links with their masters, resolv.conf, and the files DHCP and the guard leave. */
async function state(host: LabHost): Promise<string> {
  const r = await host.exec([
    'sh',
    '-c',
    [
      'ip -br addr show',
      'ip route show',
      'ip -o link show | sed "s/^[0-9]*: //; s/ state .*//"',
      'echo "## resolv.conf"',
      'cat /etc/resolv.conf',
      'echo "## run"',
      'ls -d /run/virtnet/journal/*/armed /run/virtnet/journal/*/timer /run/virtnet/lock.holder 2>/dev/null',
      'ls /run | grep -E "dhclient|virtnet-resolv" || true',
      // dhcpcd keeps its empty hook-state directory: its own, harmless, and not a running client.
      'ls -A /run/dhcpcd 2>/dev/null | grep -v "^hook-state$" || true',
    ].join('; '),
  ]);
  assert.equal(r.code, 0, r.stderr);
  return `${r.stdout}## clients\n${(await clients(host)).join('\n')}\n`;
}

/** Live (not zombie) DHCP client processes in this host's network namespace. */
async function clients(host: LabHost): Promise<string[]> {
  const ns = `net:[${statSync(`/run/netns/${host.dest}`).ino}]`;
  const found: string[] = [];
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    try {
      if (readlinkSync(`/proc/${pid}/ns/net`) !== ns) continue;
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      if (/^(dhclient|dhcpcd)/.test(comm) && stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z') found.push(comm);
    } catch {
      /* exited meanwhile */
    }
  }
  return found.sort();
}

/** A released client takes a moment to exit after saying so: poll (bounded), then compare. */
async function settledState(host: LabHost): Promise<string> {
  for (let i = 0; i < 50 && (await clients(host)).length; i++) await new Promise((r) => setTimeout(r, 100));
  return state(host);
}

async function model(host: LabHost) {
  const ex = new SshExecutor(host.dest, { configFile: host.sshConfig });
  try {
    return await collectInventory(ex);
  } finally {
    await ex.dispose();
  }
}

/** Runs the plan's undo on the host, exactly as the guard's rollback would. */
async function undo(host: LabHost, plan: Plan): Promise<void> {
  const r = await host.exec(['sh', '-c', undoScript(plan)]);
  assert.equal(r.code, 0, r.stderr);
}

/** What the CLI printed is the plan we will undo with: every undo line is in its preview. */
function assertSamePlan(stdout: string, plan: Plan): void {
  for (const s of plan.steps) {
    assert.ok(stdout.includes(`$ ${shJoin(s.argv)}`), `the CLI ran: ${shJoin(s.argv)}\n${stdout}`);
    if (s.undo) assert.ok(stdout.includes(`undo: ${shJoin(s.undo)}`), `with undo: ${shJoin(s.undo)}`);
  }
}

const ipv4 = (s: string) => s.replace(/\./g, '\\.');

async function bridged(site: Site, client: 'dhclient' | 'dhcpcd'): Promise<void> {
  const { host, lan } = site;
  const link = JSON.parse((await host.exec(['ip', '-j', 'addr', 'show', 'dev', lan.nic])).stdout)[0];
  assert.equal(link.master, 'brd', `${lan.nic} is a port of brd`);
  assert.deepEqual(
    link.addr_info.filter((x: { family: string }) => x.family === 'inet'),
    [],
    `${lan.nic} keeps no IPv4 address`,
  );
  const br = JSON.parse((await host.exec(['ip', '-j', 'addr', 'show', 'dev', 'brd'])).stdout)[0];
  assert.equal(br.address, lan.mac, "brd took the NIC's MAC");
  assert.deepEqual(
    br.addr_info.filter((x: { family: string }) => x.family === 'inet').map((x: { local: string; prefixlen: number }) => `${x.local}/${x.prefixlen}`),
    [`${lan.reserved}/24`],
    'the reserved address, from DHCP',
  );
  const routes = (await host.exec(['ip', '-4', 'route', 'show'])).stdout;
  assert.match(routes, new RegExp(`^default via ${ipv4(lan.server)} dev brd`, 'm'), 'the default route came back from DHCP, on brd');
  assert.doesNotMatch(routes, new RegExp(`dev ${lan.nic}`), `no route left on ${lan.nic}`);
  assert.match(routes, new RegExp(`^10\\.233\\.${host.index}\\.0/24 dev brd`, 'm'));
  assert.ok(
    (await clients(host)).some((c) => c === client),
    `${client} stays to renew the lease`,
  );
  assert.equal(await guardLeftovers(host), '', 'no guard left armed, no timer, the lock free');
}

test('dhclient: bridge the uplink the session arrives on, by DHCP, guarded; undo puts everything back', opts, async () => {
  const { host, lan } = a!;
  const plan = planUplink(await model(host), { nic: lan.nic, bridge: 'brd', stp: false, dhcp: true });
  const r = await lan.cli('bridge', 'uplink', lan.nic, '--bridge', 'brd', '--dhcp', '--yes', '--verbose');
  assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}\n${lan.dhcpLog().slice(-3000)}`);
  assert.match(r.stderr, /touches the path of the connection/, 'it ran guarded');
  assert.match(r.stderr, /rollback is disarmed/, 'a fresh connection over the new bridge confirmed');
  assertSamePlan(r.stdout, plan);
  assert.match(r.stdout, /dhclient -1 -pf \/run\/dhclient\.brd\.pid/);
  await bridged(a!, 'dhclient');
  // The session now rides brd.
  const inv = JSON.parse((await lan.cli('inventory', '--json')).stdout);
  assert.equal(inv.connection.dev, 'brd');
  await undo(host, plan);
  assert.equal(await settledState(host), a!.baseline);
  assert.match(lan.dhcpLog(), /DHCPRELEASE\(lan0\) 10\.233\.19\.2/, 'undo released the lease at the server');
});

test('dhclient: `bridge address <bridge> --dhcp` on a bridge holding the LAN NIC; undo releases', opts, async () => {
  const { host, lan } = a!;
  // A bridge with the LAN NIC and no address yet, as `bridge create` would leave it (set up
  // directly: the session for this one comes from the root side, off the LAN).
  const setup = `ip route del default via ${lan.server} dev ${lan.nic} && ip addr del ${lan.reserved}/24 dev ${lan.nic} && ip link add name brd type bridge stp_state 0 && ip link set dev brd address ${lan.mac} && ip link set dev ${lan.nic} master brd && ip link set dev brd up`;
  try {
    const made = await host.exec(['sh', '-c', `set -x; ${setup}`]);
    assert.equal(made.code, 0, made.stderr);
    // The new bridge's carrier and link-local address come a moment later: wait (bounded).
    for (let i = 0; i < 100 && !/ UP .*fe80::/.test((await host.exec(['ip', '-br', 'addr', 'show', 'dev', 'brd'])).stdout); i++) {
      await new Promise((r) => setTimeout(r, 100));
    }
    const before = await state(host);
    const plan = planAddresses(await model(host), { ifname: 'brd', dhcp: true });
    const r = await onLab(host, '--yes', '--verbose')('bridge', 'address', 'brd', '--dhcp');
    assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
    assert.doesNotMatch(r.stderr, /touches the path/, "not on this session's path: applied plainly");
    assertSamePlan(r.stdout, plan);
    await bridged(a!, 'dhclient');
    await undo(host, plan);
    assert.equal(await settledState(host), before);
  } finally {
    const back = `ip link del dev brd; ip addr add ${lan.reserved}/24 dev ${lan.nic}; ip route replace default via ${lan.server} dev ${lan.nic}`;
    await host.exec(['sh', '-c', back]);
  }
  assert.equal(await settledState(host), a!.baseline);
});

test('dhclient: no DHCP server answers: the DHCP step fails, everything is undone, exit 1', opts, async () => {
  const { host, lan } = a!;
  await lan.stopDhcp();
  try {
    const r = await lan.cli('bridge', 'uplink', lan.nic, '--bridge', 'brd', '--dhcp', '--yes', '--verbose');
    assert.equal(r.code, 1, `${r.stdout}\n${r.stderr}`);
    assert.match(r.stderr, /touches the path of the connection/);
    // Step 8 is the client (1-3 bridge, 4-6 route, address, port, 7 resolv.conf copy): its
    // bounded wait ends, and the plan undoes itself before the guard's timer would.
    assert.match(r.stderr, /step 8 failed/, r.stderr);
    assert.equal(await settledState(host), a!.baseline);
  } finally {
    await lan.startDhcp();
  }
});

test('dhcpcd: bridge the uplink by DHCP, guarded; undo stops the daemon and puts resolv.conf back', opts, async () => {
  const { host, lan } = b!;
  const plan = planUplink(await model(host), { nic: lan.nic, bridge: 'brd', stp: false, dhcp: true });
  const r = await lan.cli('bridge', 'uplink', lan.nic, '--bridge', 'brd', '--dhcp', '--yes', '--verbose');
  assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}\n${lan.dhcpLog().slice(-3000)}`);
  assert.match(r.stderr, /rollback is disarmed/);
  assertSamePlan(r.stdout, plan);
  assert.match(r.stdout, /\$ dhcpcd -4 -L -w -t 10 brd/);
  await bridged(b!, 'dhcpcd');
  // dhcpcd's hook rewrote the (lab host's private) resolv.conf; undo must put it back.
  await undo(host, plan);
  assert.equal(await settledState(host), b!.baseline);
});

test('dhcpcd: DHCP brings no default route: the check fails, undo stops the daemon, exit 1', opts, async () => {
  const { host, lan } = b!;
  await lan.stopDhcp();
  await lan.startDhcp({ router: false });
  try {
    const r = await lan.cli('bridge', 'uplink', lan.nic, '--bridge', 'brd', '--dhcp', '--yes', '--verbose');
    assert.equal(r.code, 1, `${r.stdout}\n${r.stderr}`);
    // The client got the lease (the session even survived on brd), but the default route the
    // NIC carried did not come back: step 9, the check, fails and everything is undone.
    assert.match(r.stderr, /step 9 failed/, r.stderr);
    assert.match(r.stderr, /DHCP gave brd no default route/);
    assert.match(lan.dhcpLog(), /DHCPACK\(lan0\) 10\.233\.20\.2/);
    assert.equal(await settledState(host), b!.baseline);
  } finally {
    await lan.stopDhcp();
    await lan.startDhcp();
  }
});

test("the machine's own resolv.conf, lease directories and /run were never touched", opts, () => {
  assert.equal(machineFiles(), machineBefore);
});
