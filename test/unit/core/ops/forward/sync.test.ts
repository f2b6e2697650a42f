/**
 * The port-forward sync script and its hooks, run by a real /bin/sh against a stateful stand-in
 * for iptables and nft (fake-firewall.mjs: the root namespace's firewall must not be touched; the
 * lab tier will run the same script against the real ones). It must put every rule where
 * libvirt's reject cannot shadow it, converge (a second run changes nothing), take everything of
 * its own away when no forward is left (the firewall as it was, libvirt's rules untouched), and
 * its hooks must run it on the events that lose the rules and never fail.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { FORWARD_HOOKS, FORWARDS_SYNC, hookScript, SYNC_SCRIPT } from '../../../../../src/core/ops/forward/script';
import { parsePortSpec, parseState, stateText, type ForwardPort } from '../../../../../src/core/ops/forward/state';

const dir = mkdtempSync(join(tmpdir(), 'virtnet-fwd-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const bin = join(dir, 'bin');
execFileSync('mkdir', ['-p', bin]);
copyFileSync(new URL('fake-firewall.mjs', import.meta.url), join(bin, 'fake-firewall.mjs'));
chmodSync(join(bin, 'fake-firewall.mjs'), 0o755);
for (const tool of ['iptables', 'nft']) symlinkSync('fake-firewall.mjs', join(bin, tool));
const script = join(dir, 'forwards-sync');
writeFileSync(script, SYNC_SCRIPT, { mode: 0o755 });
const stateFile = join(dir, 'forwards');
const fwFile = join(dir, 'fw.json');

/** libvirt's own rules of a running NAT network on virbr0, as each backend lays them out (nft's as libvirt 11.3 lists them). */
const LIBVIRT = {
  iptables: {
    filter: {
      FORWARD: ['-j LIBVIRT_FWX', '-j LIBVIRT_FWI', '-j LIBVIRT_FWO'],
      LIBVIRT_FWI: ['-d 192.168.122.0/24 -o virbr0 -j REJECT'],
      LIBVIRT_FWX: [],
      LIBVIRT_FWO: [],
    },
    nat: { PREROUTING: [], OUTPUT: [], POSTROUTING: ['-j LIBVIRT_PRT'], LIBVIRT_PRT: ['-s 192.168.122.0/24 ! -d 192.168.122.0/24 -j MASQUERADE'] },
  },
  nft: {
    'ip libvirt_network': {
      forward: [{ text: 'jump guest_input', handle: 2 }],
      guest_input: [{ text: 'oif "virbr0" counter packets 0 bytes 0 reject', handle: 3 }],
    },
  },
};

function firewall(backend: 'iptables' | 'nftables'): void {
  const fw = backend === 'iptables' ? { iptables: structuredClone(LIBVIRT.iptables), nft: {} } : { iptables: {}, nft: structuredClone(LIBVIRT.nft) };
  writeFileSync(fwFile, JSON.stringify(fw));
  writeFileSync(`${fwFile}.log`, '');
}
const fw = () =>
  JSON.parse(readFileSync(fwFile, 'utf8')) as { iptables: Record<string, Record<string, string[]>>; nft: Record<string, Record<string, { text: string }[]>> };
const env = { ...process.env, PATH: `${bin}:${process.env.PATH}`, FAKE_FW: fwFile };
function sync(): { code: number; stderr: string } {
  const r = spawnSync('/bin/sh', [script, stateFile], { env, encoding: 'utf8' });
  return { code: r.status ?? -1, stderr: r.stderr };
}

const c7: ForwardPort = {
  proto: 'tcp',
  hostPort: 19922,
  guestIp: '192.168.122.50',
  guestPort: 22,
  bridge: 'virbr0',
  hostAddress: null,
  fromHost: true,
  hairpin: null,
  vm: 'c7',
  mac: '52:54:00:C7:00:01',
};
const dns: ForwardPort = { ...c7, proto: 'udp', hostPort: 5353, guestPort: 53, hostAddress: '10.231.5.2', fromHost: false };

test('iptables: the DNAT and the accept in VirtNet chains, jumped to ahead of libvirt; a second run changes nothing', () => {
  firewall('iptables');
  writeFileSync(stateFile, stateText([c7, dns]));
  assert.deepEqual(sync(), { code: 0, stderr: '' });
  const f = fw().iptables;
  assert.deepEqual(f.filter!.FORWARD, ['-j VIRTNET_FWD', '-j LIBVIRT_FWX', '-j LIBVIRT_FWI', '-j LIBVIRT_FWO']);
  assert.deepEqual(f.nat!.PREROUTING, ['-m addrtype --dst-type LOCAL -j VIRTNET_DNAT']);
  assert.deepEqual(f.nat!.OUTPUT, ['-m addrtype --dst-type LOCAL -j VIRTNET_OUT']);
  const tag = 'virtnet-forward:c7:52:54:00:c7:00:01';
  assert.deepEqual(f.nat!.VIRTNET_DNAT, [
    `-p tcp --dport 19922 -m comment --comment ${tag} -j DNAT --to-destination 192.168.122.50:22`,
    `-p udp -d 10.231.5.2 --dport 5353 -m comment --comment ${tag} -j DNAT --to-destination 192.168.122.50:53`,
  ]);
  // Only the forward asked for --from-host is reached from the host itself.
  assert.deepEqual(f.nat!.VIRTNET_OUT, [`-p tcp --dport 19922 -m comment --comment ${tag} -j DNAT --to-destination 192.168.122.50:22`]);
  assert.deepEqual(f.filter!.VIRTNET_FWD, [
    `-o virbr0 -d 192.168.122.50 -p tcp --dport 22 -m conntrack --ctstate NEW -m comment --comment ${tag} -j ACCEPT`,
    `-o virbr0 -d 192.168.122.50 -p udp --dport 53 -m conntrack --ctstate NEW -m comment --comment ${tag} -j ACCEPT`,
  ]);
  const once = JSON.stringify(fw());
  assert.equal(sync().code, 0);
  assert.equal(JSON.stringify(fw()), once, 'converged');
});

test("iptables: with no forward left, the firewall is exactly libvirt's again", () => {
  firewall('iptables');
  writeFileSync(stateFile, stateText([c7]));
  assert.equal(sync().code, 0);
  writeFileSync(stateFile, stateText([]));
  assert.equal(sync().code, 0);
  assert.deepEqual(fw().iptables, LIBVIRT.iptables);
});

test("nftables: the DNAT in VirtNet's own table, the accept first in libvirt's guest_input; removal leaves libvirt's table as it was", () => {
  firewall('nftables');
  writeFileSync(stateFile, stateText([c7]));
  assert.deepEqual(sync(), { code: 0, stderr: '' });
  const t = fw().nft;
  assert.deepEqual(
    t['ip virtnet']!.prerouting!.map((r) => r.text),
    ['fib daddr type local tcp dport 19922 dnat to 192.168.122.50:22 comment "virtnet-forward:c7:52:54:00:c7:00:01"'],
  );
  assert.equal(t['ip virtnet']!.output!.length, 1);
  assert.deepEqual(
    t['ip libvirt_network']!.guest_input!.map((r) => r.text),
    [
      'oifname virbr0 ip daddr 192.168.122.50 tcp dport 22 ct state new accept comment "virtnet-forward:c7:52:54:00:c7:00:01"',
      'oif "virbr0" counter packets 0 bytes 0 reject',
    ],
  );
  // Again: the old accept is found by its comment and replaced, not doubled.
  assert.equal(sync().code, 0);
  assert.equal(fw().nft['ip libvirt_network']!.guest_input!.length, 2);
  writeFileSync(stateFile, stateText([]));
  assert.equal(sync().code, 0);
  assert.deepEqual(
    Object.fromEntries(Object.entries(fw().nft).map(([k, v]) => [k, Object.fromEntries(Object.entries(v).map(([c, rs]) => [c, rs.map((r) => r.text)]))])),
    { 'ip libvirt_network': { forward: ['jump guest_input'], guest_input: ['oif "virbr0" counter packets 0 bytes 0 reject'] } },
  );
});

test("hairpin: a masquerade for the network's own sources towards the guest, jumped to first from POSTROUTING, on both backends; gone with the forward", () => {
  const hair: ForwardPort = { ...c7, fromHost: false, hairpin: '192.168.122.0/24' };
  const tag = 'virtnet-forward:c7:52:54:00:c7:00:01';
  firewall('iptables');
  writeFileSync(stateFile, stateText([hair, dns]));
  assert.deepEqual(sync(), { code: 0, stderr: '' });
  const f = fw().iptables;
  assert.deepEqual(f.nat!.POSTROUTING, ['-j VIRTNET_SNAT', '-j LIBVIRT_PRT']);
  // Only the forward asked for it, and only sources of its network: outside clients keep theirs.
  assert.deepEqual(f.nat!.VIRTNET_SNAT, [
    `-s 192.168.122.0/24 -o virbr0 -d 192.168.122.50 -p tcp --dport 22 -m conntrack --ctstate DNAT -m comment --comment ${tag} -j MASQUERADE`,
  ]);
  writeFileSync(stateFile, stateText([]));
  assert.equal(sync().code, 0);
  assert.deepEqual(fw().iptables, LIBVIRT.iptables);

  firewall('nftables');
  writeFileSync(stateFile, stateText([hair]));
  assert.deepEqual(sync(), { code: 0, stderr: '' });
  assert.deepEqual(
    fw().nft['ip virtnet']!.postrouting!.map((r) => r.text),
    [`ip saddr 192.168.122.0/24 oifname virbr0 ip daddr 192.168.122.50 tcp dport 22 ct status dnat masquerade comment "${tag}"`],
  );
  writeFileSync(stateFile, stateText([]));
  assert.equal(sync().code, 0);
  assert.equal(fw().nft['ip virtnet'], undefined, "VirtNet's table is gone");
});

test('--check: silent while every forward is in force; after a rebuild of the firewall it says what is missing, and a sync puts it back', () => {
  const check = () => {
    const r = spawnSync('/bin/sh', [script, '--check', stateFile], { env, encoding: 'utf8' });
    return { code: r.status ?? -1, stdout: r.stdout };
  };
  firewall('iptables');
  writeFileSync(stateFile, stateText([c7, { ...dns, hairpin: '192.168.122.0/24' }]));
  assert.deepEqual(check().code, 1, 'nothing applied yet');
  assert.equal(sync().code, 0);
  const before = JSON.stringify(fw());
  assert.deepEqual(check(), { code: 0, stdout: '' });
  assert.equal(JSON.stringify(fw()), before, 'a check changes nothing');
  // What a firewalld reload does with its iptables backend: everything flushed, libvirt's own back.
  firewall('iptables');
  const lost = check();
  assert.equal(lost.code, 1);
  assert.deepEqual(lost.stdout.trim().split('\n'), [
    'FORWARD does not jump to VIRTNET_FWD first',
    'nat PREROUTING does not jump to VIRTNET_DNAT',
    'nat POSTROUTING does not jump to VIRTNET_SNAT',
    'tcp 19922: no DNAT',
    'tcp 19922: no OUTPUT DNAT',
    'tcp 19922: no accept',
    'udp 5353: no DNAT',
    'udp 5353: no accept',
    'udp 5353: no hairpin masquerade',
  ]);
  assert.equal(sync().code, 0);
  assert.deepEqual(check(), { code: 0, stdout: '' });

  // nftables: libvirt rebuilt its table and inserted its reject at the top, above VirtNet's accept.
  firewall('nftables');
  writeFileSync(stateFile, stateText([c7]));
  assert.equal(sync().code, 0);
  assert.deepEqual(check(), { code: 0, stdout: '' });
  const rebuilt = fw();
  rebuilt.nft['ip libvirt_network']!.guest_input!.reverse();
  writeFileSync(fwFile, JSON.stringify(rebuilt));
  assert.deepEqual(check(), { code: 1, stdout: "tcp 19922: no accept ahead of libvirt's reject in guest_input\n" });
  assert.equal(sync().code, 0);
  assert.deepEqual(check(), { code: 0, stdout: '' });
});

test('a firewall that refuses a rule: the script says so and exits non-zero (a plan fails and undoes)', () => {
  firewall('iptables');
  // libvirt's chain is there, but FORWARD is not (a broken firewall): the jump cannot go in.
  const broken = fw();
  delete broken.iptables.filter!.FORWARD;
  writeFileSync(fwFile, JSON.stringify(broken));
  writeFileSync(stateFile, stateText([c7]));
  const r = sync();
  assert.equal(r.code, 1);
  assert.match(r.stderr, /cannot jump to VirtNet's chains/);
});

test('hooks: run the sync on started/reconnect (qemu) and started/updated (network) only, and always exit 0', () => {
  firewall('iptables');
  writeFileSync(stateFile, stateText([c7]));
  for (const kind of ['qemu', 'network'] as const) {
    // The hook calls the installed path; here it points at this test's copy (and state).
    const hook = join(dir, `hook-${kind}`);
    writeFileSync(hook, hookScript(kind).replaceAll(FORWARDS_SYNC, `${script}`).replace(`${script} <`, `${script} ${stateFile} <`), { mode: 0o755 });
    const runs = (op: string) => {
      writeFileSync(`${fwFile}.log`, '');
      const r = spawnSync('/bin/sh', [hook, 'c7', op, 'begin', '-'], { env, encoding: 'utf8', input: '<domain/>' });
      assert.equal(r.status, 0, `${kind} ${op} exits 0`);
      return readFileSync(`${fwFile}.log`, 'utf8') !== '';
    };
    const wanted = kind === 'qemu' ? ['started', 'reconnect'] : ['started', 'updated'];
    for (const op of ['prepare', 'start', 'started', 'stopped', 'release', 'reconnect', 'updated', 'port-created'])
      assert.equal(runs(op), wanted.includes(op), `${kind} hook on ${op}`);
  }
  // A sync that fails inside a hook still exits 0 (a failing reconnect hook would kill the guest).
  const broken = fw();
  delete broken.iptables.filter!.FORWARD;
  writeFileSync(fwFile, JSON.stringify(broken));
  const hook = join(dir, 'hook-qemu');
  assert.equal(spawnSync('/bin/sh', [hook, 'c7', 'reconnect', 'begin', '-'], { env }).status, 0);
  assert.ok(FORWARD_HOOKS.qemu.includes('/qemu.d/') && FORWARD_HOOKS.network.includes('/network.d/'), "beside the user's main hooks");
});

test('the state file round-trips, and port specs are checked', () => {
  assert.deepEqual(parseState(stateText([c7, dns])), [
    { ...c7, mac: '52:54:00:c7:00:01' },
    { ...dns, mac: '52:54:00:c7:00:01' },
  ]);
  assert.deepEqual(parseState('# nothing\ntcp 1 2 3\nudp 99999 1.2.3.4 53 virbr0 - 0 vm 52:54:00:00:00:01\n'), []);
  // A line written before hairpin existed (nine words) reads as hairpin off; a bad subnet is skipped.
  assert.deepEqual(parseState('tcp 2222 192.168.122.50 22 virbr0 - 0 c7 52:54:00:c7:00:01\n'), [
    { ...c7, hostPort: 2222, fromHost: false, mac: '52:54:00:c7:00:01' },
  ]);
  assert.deepEqual(parseState('tcp 2222 192.168.122.50 22 virbr0 - 0 c7 52:54:00:c7:00:01 $(reboot)\n'), []);
  assert.deepEqual(parseState('tcp 2222 192.168.122.50 22 virbr0 - 0 c7 52:54:00:c7:00:01 fd00::/64\n'), []);
  assert.deepEqual(parsePortSpec('19922:22'), { hostPort: 19922, hostPortEnd: 19922, guestPort: 22 });
  assert.deepEqual(parsePortSpec('8000-8009:9000'), { hostPort: 8000, hostPortEnd: 8009, guestPort: 9000 });
  for (const bad of ['22', '0:22', '70000:22', '9-1:1', '1-100:1', '65535-65535:65535x', '1:65535;reboot'])
    assert.equal(typeof parsePortSpec(bad), 'string', bad);
  assert.equal(typeof parsePortSpec('65530-65535:65535'), 'string', 'guest ports past 65535');
});
