/**
 * Lab tier: port forwards through the CLI (issue 10) against the real iptables and libvirtd of a
 * lab host, with real traffic:
 *   - refused with nothing changed: a port the host's sshd listens on, one in the ephemeral
 *     range (without --force);
 *   - `virtnet forward add fwdg 19922:22 --from-host` installs VirtNet's script and hooks and the
 *     rules: a connection from the root namespace to the lab host's port 19922 reaches the guest's
 *     port 22 on a new NAT network, and one from the lab host itself;
 *   - `--hairpin`: the guest itself reaches a forward through the host's address (and the network's
 *     gateway) only with it; the masquerade goes with the forward;
 *   - it still does after libvirtd restarts (libvirt rebuilds its rules; the reconnect hook runs),
 *     after the network is destroyed and started (libvirt's rules anew, the guest's tap off the
 *     bridge: the network hook re-applies and puts the tap back) and after the guest restarts;
 *   - a firewall rebuilt without the hooks (VirtNet's jump and DNAT taken away by hand, as a
 *     firewalld reload with its iptables backend does; firewalld itself does not run here):
 *     `forward list` says what is not in force, `forward reapply` puts it back (reached again);
 *   - `virtnet forward remove fwdg 19922`: `iptables-save` is what it was before the first
 *     forward (counters aside), and VirtNet's script, hooks and state are gone.
 *   - the guide's hand-written rule (`iptables -t nat -A PREROUTING -p tcp --dport 19923 -j DNAT
 *     --to-destination GUEST:22`) does not reach the guest (libvirt rejects it); the inventory reads
 *     it, `forward add` on its port is refused, `forward adopt` makes it VirtNet's (reached now),
 *     the rule is gone, and `forward remove` leaves the firewall as before the rule;
 *   - a user-mode NIC on passt: `forward add` writes its <portForward> into the definition before
 *     the guest starts; started, the guest is reached through the host's port; `forward remove`
 *     takes the element away again.
 * The iptables backend here: on this machine's kernel libvirt's nftables backend cannot start an
 * IPv4 network (no tc csum action; test/lab/firewall.test.ts). The nftables backend's forwards are
 * tested with real traffic in the nested KVM host, whose kernel has it (test/lab/sriov.test.ts).
 */
import assert from 'node:assert/strict';
import net from 'node:net';
import { after, before, test } from 'node:test';
import { FORWARD_HOOKS, FORWARDS_SYNC } from '../../src/core/ops/forward/script';
import { FORWARDS_STATE } from '../../src/core/ops/forward/state';
import { onLab } from './cli';
import { guestUp, type Guest } from './guest';
import { labSkipReason, labUp, type LabHost } from './lab';

const skip = labSkipReason();
const opts = { skip: skip ?? false, timeout: 240_000 };
const cli = (...args: string[]) => onLab(host, '--yes')(...args);
const MAC = '52:54:00:48:00:0a';
const GUEST_IP = '192.168.148.10';
let host: LabHost;
let guest: Guest | undefined;
let pristine = '';

/** The host's iptables rules, counters aside (the chain lines carry [packets:bytes]). */
const rules = async () => (await host.sh('iptables-save -t filter; iptables-save -t nat')).replace(/\[\d+:\d+\]/g, '').replace(/^#.*\n/gm, '');

/** Connects from this (the root) namespace to host:port and gives what the far end says. */
function hello(address: string, port: number): Promise<string> {
  return new Promise((resolve) => {
    let got = '';
    const s = net.connect({ host: address, port, timeout: 5_000 });
    s.on('data', (d) => (got += d.toString()));
    s.on('timeout', () => s.destroy());
    s.on('error', (e) => resolve(`error: ${e.message}`));
    s.on('close', () => resolve(got));
  });
}

/** Polls until the forward answers (STP on the new bridge, a lease, a restart) or 60 s pass. */
async function reached(what: string): Promise<void> {
  let last = '';
  for (let i = 0; i < 60; i++) {
    last = await hello(host.address, 19922);
    if (last.includes('virtnet-hello')) return;
    await new Promise((r) => setTimeout(r, 1_000));
  }
  assert.fail(`${what}: ${host.address}:19922 does not reach the guest (last: ${JSON.stringify(last)})\n${await rules()}\n${guest?.tail(20) ?? ''}`);
}

async function bootGuest(): Promise<void> {
  guest = await guestUp(host, 'fwdg', [{ mac: MAC, network: 'fwdnat' }]);
  await guest.waitSerial(new RegExp(`bound ${GUEST_IP.replace(/\./g, '\\.')}/`), 'the lease of its static host');
  await serveHello(guest);
}

/** The guest's port 22 answers "virtnet-hello" to every connection (busybox nc, in the background). */
async function serveHello(g: Guest): Promise<void> {
  const r = await g.run(
    "printf '#!/bin/sh\\necho virtnet-hello\\n' > /tmp/hello && chmod +x /tmp/hello && (nc -ll -p 22 -e /tmp/hello </dev/null >/dev/null 2>&1 &)",
  );
  assert.equal(r.code, 0, r.output);
}

before(
  async () => {
    if (skip) return;
    host = await labUp('fwd', 48, { firewall: 'iptables' });
    const r = await onLab(host, '--yes')(
      ...['network', 'create', 'fwdnat', '--forward', 'nat', '--bridge-name', 'virbr48', '--stp', 'off', '--address', '192.168.148.1/24'],
      ...['--dhcp-range', '192.168.148.100-192.168.148.200', '--dhcp-host', `${MAC},${GUEST_IP},fwdg`],
    );
    assert.equal(r.code, 0, r.stderr);
    pristine = await rules();
    await bootGuest();
  },
  { timeout: 300_000 },
);

after(
  async () => {
    await guest?.remove();
    if (!skip) await host?.down();
  },
  { timeout: 120_000 },
);

test('refused before anything runs: a port the host listens on, one in the ephemeral range without --force', opts, async () => {
  const busy = await cli('forward', 'add', 'fwdg', '22:22');
  assert.equal(busy.code, 2, busy.stderr);
  assert.match(busy.stderr, /tcp port 22 is in use on vnl-fwd \(something listens on [^)]*:22\)/);
  const eph = await cli('forward', 'add', 'fwdg', '40000:22');
  assert.equal(eph.code, 2, eph.stderr);
  assert.match(eph.stderr, /in the host's ephemeral range \d+-\d+/);
  // The lab's libvirtd is no systemd unit: consent to restart it cannot be carried out here.
  const restart = await cli('forward', 'add', 'fwdg', '19922:22', '--restart-libvirt');
  assert.equal(restart.code, 2, restart.stderr);
  assert.match(restart.stderr, /--restart-libvirt: vnl-fwd does not run libvirtd as a systemd service; restart it yourself/);
  assert.equal(await rules(), pristine, 'nothing changed');
  assert.equal((await host.exec(['test', '-e', FORWARDS_SYNC])).code, 1, 'nothing installed');
});

test('forward add: the guest is reached from outside and from the host itself, in chains jumped to ahead of libvirt', opts, async () => {
  const r = await cli('forward', 'add', 'fwdg', '19922:22', '--from-host');
  assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
  assert.doesNotMatch(r.stderr, /not as planned/);
  assert.match(r.stdout + r.stderr, /libvirt reads hook scripts only when it starts, and libvirtd found none when it did/);
  await reached('after forward add');
  assert.match((await host.sh('iptables -S FORWARD')).split('\n')[1] ?? '', /-A FORWARD -j VIRTNET_FWD/);
  const local = await host.exec(['sh', '-c', `busybox nc -w 5 ${host.address} 19922 </dev/null`]);
  assert.match(local.stdout, /virtnet-hello/, `from the host itself: ${local.stdout}${local.stderr}`);
  const inv = await onLab(host)('inventory', '--json');
  const model = JSON.parse(inv.stdout) as { forwards: { vm: string; hostPort: number; guestIp: string }[] };
  assert.deepEqual(
    model.forwards.map((f) => [f.vm, f.hostPort, f.guestIp]),
    [['fwdg', 19922, GUEST_IP]],
  );
  const list = await onLab(host)('forward', 'list');
  assert.match(list.stdout, /^tcp +\*:19922 +-> fwdg +192\.168\.148\.10:22 +VirtNet$/m, list.stdout + list.stderr);
  const again = await cli('forward', 'add', 'fwdg', '19922:2222');
  assert.equal(again.code, 2, again.stderr);
  assert.match(again.stderr, /forwarded already, to fwdg/);
});

test("--hairpin: the guest reaches a forward through the host's address only with it (masqueraded, so it answers through the host)", opts, async () => {
  const via = async (address: string, port: number) => (await guest!.run(`nc -w 3 ${address} ${port} </dev/null; true`)).output;
  // Without hairpin the DNAT turns the guest's connection back to itself with its own source, which its kernel drops.
  assert.doesNotMatch(await via(host.address, 19922), /virtnet-hello/, 'no hairpin on 19922');
  const r = await cli('forward', 'add', 'fwdg', '19924:22', '--hairpin');
  assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
  assert.doesNotMatch(r.stderr, /not as planned/);
  assert.match(r.stdout + r.stderr, /--hairpin: guests on fwdnat reach fwdg/);
  assert.match(await host.sh('iptables -w -t nat -S VIRTNET_SNAT'), /-s 192\.168\.148\.0\/24 -d 192\.168\.148\.10\/32 -o virbr48 .*--dport 22 .*-j MASQUERADE/);
  for (const address of [host.address, '192.168.148.1']) assert.match(await via(address, 19924), /virtnet-hello/, `the guest through ${address}:19924`);
  // This machine's kernel has br_netfilter on, so the DNAT is bridged back: the tap must hairpin.
  const mode = async () => (await host.sh(`ip -d link show master virbr48 | grep -o 'hairpin [a-z]*' || true`)).trim();
  if ((await host.sh('cat /proc/sys/net/bridge/bridge-nf-call-iptables 2>/dev/null || true')).trim() === '1') assert.equal(await mode(), 'hairpin on');
  const rm = await cli('forward', 'remove', 'fwdg', '19924');
  assert.equal(rm.code, 0, rm.stderr);
  assert.doesNotMatch(await host.sh('iptables -w -t nat -S VIRTNET_SNAT'), /MASQUERADE/, 'the masquerade went with it');
  assert.equal(await mode(), 'hairpin off', 'and the hairpin mode VirtNet set');
});

test('after libvirtd restarts, after the network restarts (its tap put back), after the guest restarts', opts, async () => {
  // The restart the plan asked for: libvirt looks for hook scripts only when it starts.
  await host.stopLibvirtd();
  await host.startLibvirtd();
  await reached('after a libvirtd restart');
  // The daemon found VirtNet's hooks when it started: a new forward needs no restart, and the
  // install step leaves the unchanged hooks alone (their ctime still before the daemon's start).
  const more = await cli('forward', 'add', 'fwdg', '19925:22');
  assert.equal(more.code, 0, more.stderr);
  assert.doesNotMatch(more.stdout + more.stderr, /reads hook scripts only when it starts/);
  assert.equal((await cli('forward', 'remove', 'fwdg', '19925')).code, 0);
  const bridged = async () => (await host.sh("ip -o link show master virbr48 | awk -F': ' '{print $2}'")).trim();
  const tap = await bridged();
  await host.sh('virsh net-destroy fwdnat && virsh net-start fwdnat');
  assert.equal(await bridged(), tap, "the network hook put the guest's tap back on the new bridge");
  await reached('after net-destroy and net-start');
  await guest?.remove();
  guest = undefined;
  await bootGuest();
  await reached('after the guest was destroyed and started');
});

test('a firewall rebuilt without the hooks: the inventory says what is not in force, forward reapply puts it back', opts, async () => {
  // What a firewalld reload (its iptables backend) leaves: VirtNet's jump and rules gone, libvirt's own back.
  await host.sh('iptables -w -D FORWARD -j VIRTNET_FWD && iptables -w -t nat -F VIRTNET_DNAT');
  assert.doesNotMatch(await hello(host.address, 19922), /virtnet-hello/, 'the forward is lost');
  const list = await onLab(host)('forward', 'list');
  assert.match(
    list.stdout,
    /^tcp +\*:19922 .* VirtNet, NOT IN FORCE: FORWARD does not jump to VIRTNET_FWD first; tcp 19922: no DNAT \(virtnet forward reapply\)$/m,
    list.stdout,
  );
  const r = await cli('forward', 'reapply');
  assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
  assert.doesNotMatch(r.stderr, /not as planned/);
  await reached('after forward reapply');
  assert.doesNotMatch((await onLab(host)('forward', 'list')).stdout, /NOT IN FORCE/);
});

test("forward remove: the firewall is what it was before the first forward, VirtNet's files are gone, the port answers no more", opts, async () => {
  const r = await cli('forward', 'remove', 'fwdg', '19922');
  assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
  assert.equal(await rules(), pristine);
  for (const f of [FORWARDS_SYNC, FORWARD_HOOKS.qemu, FORWARD_HOOKS.network, FORWARDS_STATE])
    assert.equal((await host.exec(['test', '-e', f])).code, 1, `${f} is gone`);
  assert.doesNotMatch(await hello(host.address, 19922), /virtnet-hello/);
});

test("the guide's hand-written DNAT: shown, refused as a clash, adopted (reached now, the rule gone), removed", opts, async () => {
  await host.sh(`iptables -w -t nat -A PREROUTING -p tcp --dport 19923 -j DNAT --to-destination ${GUEST_IP}:22`);
  assert.doesNotMatch(await hello(host.address, 19923), /virtnet-hello/, "libvirt's reject shadows the hand rule");
  const inv = await onLab(host)('inventory', '--json');
  const model = JSON.parse(inv.stdout) as { handForwards: { hostPort: number; guestIp: string; guestPort: number; rule: string }[] };
  assert.deepEqual(
    model.handForwards.map((h) => [h.hostPort, h.guestIp, h.guestPort]),
    [[19923, GUEST_IP, 22]],
    JSON.stringify(model.handForwards),
  );
  assert.match((await onLab(host)('forward', 'list')).stdout, /^tcp +\*:19923 +-> fwdg +192\.168\.148\.10:22 +by hand \(adopt it\)$/m);
  const clash = await cli('forward', 'add', 'fwdg', '19923:22');
  assert.equal(clash.code, 2, clash.stderr);
  assert.match(clash.stderr, /has a DNAT rule written by hand .* adopt it/);
  const r = await cli('forward', 'adopt', 'fwdg', '19923');
  assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
  assert.doesNotMatch(r.stderr, /not as planned/);
  let got = '';
  for (let i = 0; i < 20 && !got.includes('virtnet-hello'); i++) {
    got = await hello(host.address, 19923);
    if (!got.includes('virtnet-hello')) await new Promise((res) => setTimeout(res, 1_000));
  }
  assert.match(got, /virtnet-hello/, 'adopted, the forward reaches the guest');
  assert.doesNotMatch(await host.sh('iptables -w -t nat -S PREROUTING'), /--dport 19923/, 'the hand rule is gone');
  const rm = await cli('forward', 'remove', 'fwdg', '19923');
  assert.equal(rm.code, 0, rm.stderr);
  assert.equal(await rules(), pristine);
});

test("a passt NIC: the forward is libvirt's <portForward>, written before the guest starts; the guest is reached through it", opts, async () => {
  const mac = '52:54:00:48:00:0b';
  let passt: Guest | undefined;
  try {
    passt = await guestUp(host, 'fwdp', [{ mac, network: 'passt' }], {
      beforeStart: async () => {
        const r = await cli('forward', 'add', 'fwdp', '2222:22');
        assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
        assert.doesNotMatch(r.stderr, /not as planned|reads back differently/);
        assert.match(await host.sh('virsh dumpxml --inactive fwdp'), /<portForward proto='tcp'>\s*<range start='2222' to='22'\/>\s*<\/portForward>/);
      },
    });
    await passt.waitSerial(/virtnet-guest: eth0 bound /, 'a lease from passt');
    await serveHello(passt);
    let got = '';
    for (let i = 0; i < 30 && !got.includes('virtnet-hello'); i++) {
      got = (await host.exec(['sh', '-c', 'busybox nc -w 3 127.0.0.1 2222 </dev/null'])).stdout;
      if (!got.includes('virtnet-hello')) await new Promise((res) => setTimeout(res, 1_000));
    }
    assert.match(got, /virtnet-hello/, `the lab host reaches fwdp's port 22 through passt's 2222\n${passt.tail(20)}`);
    const rm = await cli('forward', 'remove', 'fwdp', '2222');
    assert.equal(rm.code, 0, `${rm.stdout}\n${rm.stderr}`);
    assert.doesNotMatch(await host.sh('virsh dumpxml --inactive fwdp'), /portForward/);
  } finally {
    await passt?.remove();
  }
});
