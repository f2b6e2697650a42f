/**
 * Lab tier: the port-forward sync script and its hooks (issue 10, first piece) against the real
 * iptables and libvirtd of a lab host, with real traffic. The script, its state and the hooks are
 * installed by hand here (no planner writes them yet); what is tested is what they do:
 *   - a connection from the root namespace to the lab host's port 19922 reaches the guest's port
 *     22 on a new NAT network, and from the lab host itself (--from-host);
 *   - it still does after libvirtd restarts (libvirt rebuilds its rules; the reconnect hook runs),
 *     after the network is destroyed and started (libvirt's rules anew, the guest's tap off the
 *     bridge: the network hook re-applies and puts the tap back) and after the guest restarts;
 *   - with no forward left, `iptables-save` is what it was before the first (counters aside).
 * The iptables backend only: on this machine's kernel libvirt's nftables backend cannot start an
 * IPv4 network (no tc csum action; test/lab/firewall.test.ts).
 */
import assert from 'node:assert/strict';
import net from 'node:net';
import { after, before, test } from 'node:test';
import { FORWARD_HOOKS, FORWARDS_SYNC, hookScript, SYNC_SCRIPT } from '../../src/core/ops/forward/script';
import { FORWARDS_STATE, stateText, type ForwardPort } from '../../src/core/ops/forward/state';
import { onLab } from './cli';
import { guestUp, type Guest } from './guest';
import { labSkipReason, labUp, type LabHost } from './lab';

const skip = labSkipReason();
const opts = { skip: skip ?? false, timeout: 240_000 };
const MAC = '52:54:00:48:00:0a';
const GUEST_IP = '192.168.148.10';
let host: LabHost;
let guest: Guest | undefined;
let pristine = '';

const forward: ForwardPort = {
  proto: 'tcp',
  hostPort: 19922,
  guestIp: GUEST_IP,
  guestPort: 22,
  bridge: 'virbr48',
  hostAddress: null,
  fromHost: true,
  vm: 'fwdg',
  mac: MAC,
};

/** The host's iptables rules, counters aside (the chain lines carry [packets:bytes]). */
const rules = async () => (await host.sh('iptables-save -t filter; iptables-save -t nat')).replace(/\[\d+:\d+\]/g, '').replace(/^#.*\n/gm, '');

/** A file on the lab host, written through its own shell (stdin), mode 755 or 644. */
async function put(path: string, text: string, mode = '644'): Promise<void> {
  const b64 = Buffer.from(text).toString('base64');
  await host.sh(`mkdir -p "$(dirname ${path})" && echo ${b64} | base64 -d > ${path} && chmod ${mode} ${path}`);
}

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
  const r = await guest.run(
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
    await put(FORWARDS_SYNC, SYNC_SCRIPT, '755');
    await put(FORWARD_HOOKS.qemu, hookScript('qemu'), '755');
    await put(FORWARD_HOOKS.network, hookScript('network'), '755');
    // libvirt reads its hook folders when it starts.
    await host.stopLibvirtd();
    await host.startLibvirtd();
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

test('the forward reaches the guest from outside and from the host itself, in chains jumped to ahead of libvirt', opts, async () => {
  await put(FORWARDS_STATE, stateText([forward]));
  const r = await host.exec([FORWARDS_SYNC]);
  assert.equal(r.code, 0, r.stderr);
  await reached('after the first sync');
  assert.match((await host.sh('iptables -S FORWARD')).split('\n')[1] ?? '', /-A FORWARD -j VIRTNET_FWD/);
  const local = await host.exec(['sh', '-c', `busybox nc -w 5 ${host.address} 19922 </dev/null`]);
  assert.match(local.stdout, /virtnet-hello/, `from the host itself: ${local.stdout}${local.stderr}`);
});

test('after libvirtd restarts, after the network restarts (its tap put back), after the guest restarts', opts, async () => {
  await host.stopLibvirtd();
  await host.startLibvirtd();
  await reached('after a libvirtd restart');
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

test('with no forward left the firewall is what it was before the first, and the port answers no more', opts, async () => {
  await put(FORWARDS_STATE, stateText([]));
  const r = await host.exec([FORWARDS_SYNC]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(await rules(), pristine);
  assert.doesNotMatch(await hello(host.address, 19922), /virtnet-hello/);
});
