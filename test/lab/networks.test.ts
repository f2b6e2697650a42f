/**
 * Lab tier: libvirt networks made and changed through the CLI over real SSH, against a real
 * libvirtd (issue 9, first part):
 *   - a NAT network with a DHCP range, a static host and autostart: defined, started, its bridge
 *     holds the address, dnsmasq serves the static host, the inventory reads it all back;
 *   - isolated, routed, open, bridge (on a host bridge) and macvtap networks each started by
 *     libvirt and read back with their mode;
 *   - a subnet that became busy between the define and the start: the start fails, the define is undone;
 *   - a static host and a DHCP range added and removed live; stop, start, autostart off, delete.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { HostModel } from '../../src/core/model/types';
import { onLab } from './cli';
import { labSkipReason, labUp, type LabHost } from './lab';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const skip = labSkipReason();
const opts = { skip: skip ?? false, timeout: 120_000 };
let host: LabHost;
const dir = mkdtempSync(join(tmpdir(), 'virtnet-nets-'));

before(
  async () => {
    if (skip) return;
    host = await labUp('nets', 29);
    // A host bridge for the bridge-mode network and spare NICs for the macvtap modes (the
    // session's NIC, enp3s1, is refused for macvtap).
    await sh(
      'ip link add br9 type bridge && ip link set br9 up && for p in 0 2 4; do ip link add spare$p type veth peer name spare$((p+1)) && ip link set spare$p up && ip link set spare$((p+1)) up || exit 1; done',
    );
  },
  { timeout: 180_000 },
);

after(
  async () => {
    if (!skip) await host?.down();
    rmSync(dir, { recursive: true, force: true });
  },
  { timeout: 120_000 },
);

const cli = (...args: string[]) => onLab(host, '--yes')(...args);
const sh = (script: string) => host.sh(script);
async function inventory(): Promise<HostModel> {
  const r = await onLab(host)('inventory', '--json');
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(r.stdout) as HostModel;
}

test('a NAT network with a range, a static host and autostart: libvirt runs it as planned', opts, async () => {
  const r = await cli(
    'network',
    'create',
    'lab',
    '--forward',
    'nat',
    '--address',
    '192.168.50.1/24',
    '--dhcp-range',
    '192.168.50.100-192.168.50.200',
    '--dhcp-host',
    '52:54:00:50:00:0a,192.168.50.10,vm10',
    '--autostart',
  );
  assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
  assert.doesNotMatch(r.stderr, /not as planned|reads back differently/);
  const net = (await inventory()).networks.find((n) => n.name === 'lab')!;
  assert.deepEqual([net.active, net.autostart, net.persistent, net.forwardMode, net.bridge], [true, true, true, 'nat', 'virbr1']);
  assert.deepEqual(
    net.ips[0]?.dhcpRanges.map((x) => `${x.start}-${x.end}`),
    ['192.168.50.100-192.168.50.200'],
  );
  assert.deepEqual(
    net.ips[0]?.dhcpHosts.map((h) => [h.mac, h.ip, h.name]),
    [['52:54:00:50:00:0a', '192.168.50.10', 'vm10']],
  );
  assert.match(await sh('ip -o addr show dev virbr1'), /192\.168\.50\.1\/24/);
  // dnsmasq's own host file (libvirt writes it for the running network).
  assert.match(await sh('cat /var/lib/libvirt/dnsmasq/lab.hostsfile'), /52:54:00:50:00:0a,192\.168\.50\.10,vm10/);
});

test('STP off with a delay, DHCPv6, DNS forwarders and port isolation: in the bridge and dnsmasq libvirt made', opts, async () => {
  const r = await cli(
    ...['network', 'create', 'six', '--forward', 'nat', '--bridge-name', 'virbr6', '--stp', 'off', '--delay', '3'],
    ...['--address', '192.168.54.1/24', '--dhcp-range', '192.168.54.10-192.168.54.20'],
    ...['--ipv6', 'fd00:54::1/64', '--ipv6-range', 'fd00:54::100-fd00:54::1ff'],
    ...['--forwarder', '192.0.2.53', '--forwarder', '192.0.2.54', '--isolate-ports'],
  );
  assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
  assert.doesNotMatch(r.stderr, /not as planned|reads back differently/);
  const net = (await inventory()).networks.find((n) => n.name === 'six')!;
  assert.deepEqual([net.active, net.stp, net.stpDelay, net.portIsolated], [true, false, 3, true]);
  assert.deepEqual(
    net.dns?.forwarders.map((f) => f.addr),
    ['192.0.2.53', '192.0.2.54'],
  );
  assert.deepEqual(
    net.ips.map((ip) => [ip.family, ip.dhcpRanges.map((x) => `${x.start}-${x.end}`)]),
    [
      ['ipv4', ['192.168.54.10-192.168.54.20']],
      ['ipv6', ['fd00:54::100-fd00:54::1ff']],
    ],
  );
  // The kernel's bridge: STP off, forward delay in centiseconds; both addresses on it.
  assert.equal((await sh('cat /sys/class/net/virbr6/bridge/stp_state /sys/class/net/virbr6/bridge/forward_delay')).split(/\s+/).slice(0, 2).join(' '), '0 300');
  assert.match(await sh('ip -o addr show dev virbr6'), /fd00:54::1\/64/);
  // dnsmasq's configuration, as libvirt wrote it for the running network.
  const conf = await sh('cat /var/lib/libvirt/dnsmasq/six.conf');
  for (const want of [
    /^server=192\.0\.2\.53$/m,
    /^server=192\.0\.2\.54$/m,
    /^dhcp-range=fd00:54::100,fd00:54::1ff/m,
    /^dhcp-range=192\.168\.54\.10,192\.168\.54\.20/m,
  ])
    assert.match(conf, want);
  assert.equal((await cli('network', 'delete', 'six')).code, 0);
});

test('isolated, routed, open, bridge and macvtap (private, vepa, passthrough) networks: started by libvirt, read back with their mode', opts, async () => {
  const cases: Array<[string, string[], string]> = [
    ['iso', ['--forward', 'isolated', '--address', '192.168.51.1/24'], 'isolated'],
    ['rtd', ['--forward', 'route', '--dev', 'enp3s1', '--address', '192.168.52.1/24'], 'route'],
    ['opn', ['--forward', 'open', '--address', '192.168.53.1/24'], 'open'],
    ['onbr', ['--forward', 'bridge', '--dev', 'br9'], 'bridge'],
    ['mvt', ['--forward', 'private', '--dev', 'spare0'], 'private'],
    ['mvv', ['--forward', 'vepa', '--dev', 'spare2'], 'vepa'],
    ['mvp', ['--forward', 'passthrough', '--dev', 'spare4'], 'passthrough'],
  ];
  for (const [name, args] of cases) {
    const r = await cli('network', 'create', name, ...args);
    assert.equal(r.code, 0, `${name}: ${r.stdout}\n${r.stderr}`);
  }
  const model = await inventory();
  for (const [name, , mode] of cases) {
    const n = model.networks.find((x) => x.name === name);
    assert.ok(n?.active, `${name} runs`);
    assert.equal(n.forwardMode, mode, name);
  }
  assert.equal(model.networks.find((n) => n.name === 'onbr')?.bridge, 'br9');
  assert.deepEqual(model.networks.find((n) => n.name === 'mvt')?.forwardInterfaces, ['spare0']);
  assert.match((await cli('network', 'create', 'mvt2', '--forward', 'vepa', '--dev', 'enp3s1')).stderr, /carries this SSH session/);
});

test('a subnet taken between the define and the start: the start fails and the define is undone', opts, async () => {
  // virsh, wrapped in the lab host's own mount namespace: right after it defines `late`, an
  // address of the new subnet appears on another interface, as if someone had just added it.
  const wrapper = join(dir, 'virsh');
  const real = join(dir, 'virsh.real');
  writeFileSync(wrapper, `#!/bin/sh\n${real} "$@"; r=$?\ncase "$*" in *net-define*) ip addr add 192.168.60.5/24 dev late0 ;; esac\nexit $r\n`, { mode: 0o755 });
  await sh(`ip link add late0 type veth peer name late1 && ip link set late0 up && cp /usr/bin/virsh ${real} && mount --bind ${wrapper} /usr/bin/virsh`);
  try {
    const r = await cli('network', 'create', 'late', '--forward', 'nat', '--address', '192.168.60.1/24');
    assert.equal(r.code, 1, `${r.stdout}\n${r.stderr}`);
    assert.match(r.stderr, /step 2 failed/);
    assert.match(r.stderr, /already in use/);
  } finally {
    await sh('umount /usr/bin/virsh; ip link del late0');
  }
  assert.doesNotMatch(await sh('virsh net-list --all --name'), /\blate\b/, 'the definition was undone');
});

test('a static host and a DHCP range live, then stop, start, autostart off and delete', opts, async () => {
  let r = await cli('network', 'dhcp-host-add', 'lab', '52:54:00:50:00:0b,192.168.50.11,vm11');
  assert.equal(r.code, 0, r.stderr);
  assert.match(await sh('virsh net-dumpxml lab'), /<host mac='52:54:00:50:00:0b' name='vm11' ip='192.168.50.11'\/>/, 'live');
  assert.match(await sh('virsh net-dumpxml --inactive lab'), /<host mac='52:54:00:50:00:0b' name='vm11' ip='192.168.50.11'\/>/, 'and in the definition');
  assert.match(await sh('cat /var/lib/libvirt/dnsmasq/lab.hostsfile'), /52:54:00:50:00:0b,192\.168\.50\.11,vm11/, 'dnsmasq has it now');
  r = await cli('network', 'dhcp-host-add', 'lab', '52:54:00:50:00:0c,192.168.50.11');
  assert.equal(r.code, 2, 'an IP given twice is refused');
  assert.match(r.stderr, /already gives 192\.168\.50\.11/);
  r = await cli('network', 'dhcp-host-remove', 'lab', '52:54:00:50:00:0b');
  assert.equal(r.code, 0, r.stderr);
  assert.doesNotMatch(await sh('virsh net-dumpxml --inactive lab'), /52:54:00:50:00:0b/);

  r = await cli('network', 'dhcp-range-add', 'lab', '192.168.50.210-192.168.50.220');
  assert.equal(r.code, 0, r.stderr);
  assert.match(await sh('virsh net-dumpxml lab'), /<range start='192\.168\.50\.210' end='192\.168\.50\.220'\/>/, 'live');
  assert.match(await sh('virsh net-dumpxml --inactive lab'), /<range start='192\.168\.50\.210' end='192\.168\.50\.220'\/>/, 'and defined');
  assert.match(await sh('cat /var/lib/libvirt/dnsmasq/lab.conf'), /dhcp-range=192\.168\.50\.210,192\.168\.50\.220/, "in dnsmasq's configuration");
  r = await cli('network', 'dhcp-range-remove', 'lab', '192.168.50.210-192.168.50.220');
  assert.equal(r.code, 0, r.stderr);
  assert.doesNotMatch(await sh('virsh net-dumpxml --inactive lab'), /192\.168\.50\.210/);

  r = await cli('network', 'stop', 'lab');
  assert.equal(r.code, 0, r.stderr);
  assert.equal((await host.exec(['ip', 'link', 'show', 'virbr1'])).code === 0, false, 'its bridge is gone');
  r = await cli('network', 'start', 'lab');
  assert.equal(r.code, 0, r.stderr);
  r = await cli('network', 'autostart', 'lab', 'off');
  assert.equal(r.code, 0, r.stderr);
  assert.match(await sh('virsh net-info lab'), /Autostart:\s+no/);
  r = await cli('network', 'delete', 'lab');
  assert.equal(r.code, 0, r.stderr);
  assert.doesNotMatch(await sh('virsh net-list --all --name'), /\blab\b/);
});
