/**
 * A bridge's end state after each kind of edit, fed to the real tools the same way as
 * tools.test.ts (temp roots, nmcli --offline, networkd in throwaway namespaces): what VirtNet
 * rewrites must be read back as the bridge the runtime plan left.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { persistIntentFor, persistSteps, type PersistBridge, type PersistOp } from '../../../../../src/core/ops/persist';
import { now, seedHosts, seedMac } from './fixture';
import { materialise, nsOk, run, which, withTmp } from './tools';

const edits: Record<string, PersistOp> = {
  'add-port': { op: 'add-port', bridge: 'br9', port: 'enp3s2' },
  'remove-port': { op: 'remove-port', bridge: 'br9', port: 'enp3s1' },
  'stp off': { op: 'stp', bridge: 'br9', on: false },
  'address add v4+v6': { op: 'address', intent: { ifname: 'br9', add: ['10.231.1.3/24', 'fd00::2/64'] } },
  'address clear + dhcp': { op: 'address', intent: { ifname: 'br9', clear: true, dhcp: true } },
};
const intentOf = (name: string) => persistIntentFor(seedHosts.networkd, edits[name]!) as PersistBridge;

test('netplan generate renders every edited end state', { skip: which('netplan') ? false : 'netplan is not installed (Debian package netplan.io)' }, () => {
  for (const name of Object.keys(edits)) {
    withTmp((root) => {
      materialise(root, persistSteps(seedHosts.netplan, intentOf(name), 'netplan', { now }));
      const r = run('netplan', ['generate', '--root-dir', root]);
      assert.equal(r.status, 0, `${name}: ${r.stderr}`);
      assert.equal(r.stderr.trim(), '', `${name}: netplan complained: ${r.stderr}`);
      const out = join(root, 'run/systemd/network');
      const netdev = readFileSync(join(out, '10-netplan-br9.netdev'), 'utf8');
      const network = readFileSync(join(out, '10-netplan-br9.network'), 'utf8');
      assert.match(netdev, name === 'stp off' ? /STP=false/ : /STP=true/, name);
      const i = intentOf(name);
      for (const a of i.addresses) assert.match(network, new RegExp(`^Address=${a.replace(/\./g, '\\.')}$`, 'm'), name);
      if (i.dhcp) assert.match(network, /^DHCP=ipv4$/m, name);
      if (i.gateway) assert.match(network, /^Gateway=10\.231\.1\.1$/m, name);
      else assert.doesNotMatch(network, /Gateway=/, name);
      for (const p of ['enp3s1', 'enp3s2']) {
        const f = join(out, `10-netplan-${p}.network`);
        if (i.ports.includes(p)) assert.match(readFileSync(f, 'utf8'), /Bridge=br9/, `${name}: ${p}`);
        else assert.ok(!existsSync(f), `${name}: ${p} is no port, yet netplan configures it`);
      }
    });
  }
});

test(
  'ifupdown reads every edited end state: ifquery options, ifup --no-act commands',
  { skip: which('ifquery') ? false : 'ifupdown is not installed (Debian package ifupdown)' },
  () => {
    for (const name of Object.keys(edits)) {
      withTmp((root) => {
        const r = persistSteps(seedHosts.ifupdown, intentOf(name), 'ifupdown', { now });
        materialise(root, r);
        const main = join(root, 'interfaces');
        writeFileSync(main, `auto lo\niface lo inet loopback\nsource ${join(root, 'etc/network/interfaces.d')}/*\n`);
        const q = run('ifquery', ['-i', main, 'br9']);
        assert.equal(q.status, 0, `${name}: ${q.stderr}`);
        const i = intentOf(name);
        assert.match(q.stdout, new RegExp(`^bridge_ports: ${i.ports.join(' ')}$`, 'm'), name);
        assert.match(q.stdout, new RegExp(`^bridge_stp: ${i.stp ? 'on' : 'off'}$`, 'm'), name);
        mkdirSync(join(root, 'state'));
        const up = run('ifup', ['--no-act', '-v', '-i', main, '--state-dir', join(root, 'state'), 'br9']);
        assert.equal(up.status, 0, `${name}: ${up.stderr}`);
        const said = up.stdout + up.stderr;
        // One `ip addr add` per static address, IPv6 through `ip -6`; DHCP through the client.
        for (const a of i.addresses) {
          const [ip, len] = a.split('/');
          assert.match(
            said,
            a.includes(':')
              ? new RegExp(`ip -6 addr add ${ip}/${len} +dev br9`)
              : new RegExp(`ip addr add ${ip.replace(/\./g, '\\.')}/255\\.255\\.255\\.0 .*dev br9`),
            `${name}: ${a}`,
          );
        }
        assert.equal((said.match(/ip (-6 )?addr add/g) ?? []).length, i.addresses.length, `${name}: ${said}`);
        if (i.gateway) assert.match(said, /ip route add default via 10\.231\.1\.1 +dev br9/, name);
        if (i.dhcp) assert.match(said, /configuring interface br9=br9 \(inet\)[\s\S]*(dhclient|dhcpcd|udhcpc|pump)/, name);
      });
    }
  },
);

test(
  'nmcli --offline takes every edited profile, as a new one and as a modification of the old',
  { skip: which('nmcli') ? false : 'nmcli is not installed (Debian package network-manager)' },
  () => {
    // The profile VirtNet's create-bridge left, the starting point of a modification.
    const old = run('nmcli', [
      '--offline',
      'connection',
      'add',
      'con-name',
      'virtnet-br9',
      'type',
      'bridge',
      'ifname',
      'br9',
      'bridge.stp',
      'yes',
      'ipv4.method',
      'manual',
      'ipv4.addresses',
      '10.231.1.2/24',
      'ipv4.gateway',
      '10.231.1.1',
    ]);
    assert.equal(old.status, 0, `nmcli has no working --offline (needs NetworkManager 1.42+): ${old.stderr}`);
    let checked = 0;
    for (const name of Object.keys(edits)) {
      const r = persistSteps(seedHosts.networkmanager, persistIntentFor(seedHosts.networkmanager, edits[name]!), 'networkmanager', { now });
      for (const s of r.steps.filter((x) => x.argv[3] === 'virtnet-nm-upsert')) {
        const [conName, uuid, type, ...props] = s.argv.slice(4);
        const added = run('nmcli', ['--offline', 'connection', 'add', 'con-name', conName!, 'connection.uuid', uuid!, 'type', type!, ...props]);
        assert.equal(added.status, 0, `${name} ${conName}: ${added.stderr}`);
        if (type !== 'bridge') continue;
        const mod = run('nmcli', ['--offline', 'connection', 'modify', ...props], old.stdout);
        assert.equal(mod.status, 0, `${name} modify: ${mod.stderr}`);
        const i = persistIntentFor(seedHosts.networkmanager, edits[name]!) as PersistBridge;
        // The modified profile holds the end state and nothing of the old one that should go.
        const v4 = i.addresses.filter((a) => !a.includes(':'));
        const v6 = i.addresses.filter((a) => a.includes(':'));
        const sec = (txt: string, s: string) => new RegExp(`^\\[${s}\\]\\n([^[]*)`, 'm').exec(txt)?.[1] ?? '';
        for (const out of [added.stdout, mod.stdout]) {
          assert.match(out, /^uuid=/m);
          assert.equal(/^stp=false$/m.test(sec(out, 'bridge')), !i.stp, `${name}: ${sec(out, 'bridge')}`);
          assert.match(sec(out, 'ipv4'), new RegExp(`^method=${i.dhcp ? 'auto' : v4.length ? 'manual' : 'disabled'}$`, 'm'), name);
          assert.equal((sec(out, 'ipv4').match(/^address\d+=/gm) ?? []).length, v4.length, `${name}: ${sec(out, 'ipv4')}`);
          assert.equal((sec(out, 'ipv6').match(/^address\d+=/gm) ?? []).length, v6.length, `${name}: ${sec(out, 'ipv6')}`);
          if (i.gateway) assert.match(sec(out, 'ipv4'), /^address1=10\.231\.1\.2\/24,10\.231\.1\.1$/m, name);
          else assert.doesNotMatch(out, /10\.231\.1\.1$/m, name);
          if (i.mac) assert.match(sec(out, 'bridge'), new RegExp(`^mac-address=${seedMac.toUpperCase()}$`, 'mi'), name);
        }
        checked++;
      }
    }
    assert.equal(checked, Object.keys(edits).length);
  },
);

const networkd = which('systemd-networkd');
// Some kernels are built without bridge VLAN filtering; networkd then fails all bridge parameters.
const vlanOk = nsOk && run('unshare', ['-n', 'ip', 'link', 'add', 'vf0', 'type', 'bridge', 'vlan_filtering', '1']).status === 0;
test(
  'systemd-networkd (in throwaway namespaces) brings the edited bridge up as saved: ports, STP, VLAN filtering, every address, the gateway',
  {
    skip: !networkd
      ? 'systemd-networkd is not installed (Debian package systemd)'
      : !nsOk
        ? 'needs root and unshare -n -m to run networkd away from the real network'
        : false,
  },
  () => {
    for (const name of ['stp off', 'address add v4+v6', 'add-port', 'remove-port']) {
      withTmp((root) => {
        const intent = { ...intentOf(name), vlanFiltering: vlanOk };
        materialise(root, persistSteps(seedHosts.networkd, intent, 'networkd', { now }));
        const dir = join(root, 'etc/systemd/network');
        // A read-only sysfs of the new namespace tells networkd there is no udev to wait for, so it
        // configures the links (addresses, routes) as well as creating them.
        const script = `mount -t tmpfs tmpfs /run && mkdir -p /run/systemd/netif && mount -t sysfs -o ro sysfs /sys && mount --bind "$1" /etc/systemd/network && ip link add enp3s1 type veth peer name x-enp3s1 && ip link add enp3s2 type veth peer name x-enp3s2 && SYSTEMD_LOG_LEVEL=debug SYSTEMD_LOG_TARGET=console timeout 3 "$2" 2>&1; echo "@@links"; ip -d -j link show; echo "@@addrs"; ip -j addr show dev br9; echo "@@routes"; ip -j route show default`;
        const out = execFileSync('unshare', ['-n', '-m', '--propagation', 'private', 'sh', '-c', script, 'virtnet-networkd-check', dir, networkd!], {
          encoding: 'utf8',
        });
        const [log, rest] = out.split('@@links\n') as [string, string];
        const [linksJson, more] = rest.split('@@addrs\n') as [string, string];
        const [addrJson, routesJson] = more.split('@@routes\n') as [string, string];
        const ours = log.split('\n').filter((l) => l.includes('05-virtnet-'));
        assert.deepEqual(
          ours.filter((l) => /\.(netdev|network):\d+:/.test(l)),
          [],
          ours.join('\n'),
        );
        const links = JSON.parse(linksJson) as {
          ifname: string;
          master?: string;
          linkinfo?: { info_kind?: string; info_data?: { stp_state?: number; vlan_filtering?: number } };
        }[];
        const br9 = links.find((l) => l.ifname === 'br9');
        assert.equal(br9?.linkinfo?.info_kind, 'bridge', log.slice(-2000));
        assert.equal(br9?.linkinfo?.info_data?.stp_state, intent.stp ? 1 : 0, name);
        // Stand-in NICs (veths with the ports' names): exactly the saved ports are enslaved.
        for (const p of ['enp3s1', 'enp3s2'])
          assert.equal(links.find((l) => l.ifname === p)?.master, intent.ports.includes(p) ? 'br9' : undefined, `${name}: ${p}`);
        // Without kernel support only the file is checked (networkd parsed it without a warning).
        if (vlanOk) assert.equal(br9?.linkinfo?.info_data?.vlan_filtering, 1, name);
        const addrs = (JSON.parse(addrJson) as { addr_info: { local: string; prefixlen: number; scope: string }[] }[])[0]!.addr_info
          .filter((a) => a.scope === 'global')
          .map((a) => `${a.local}/${a.prefixlen}`);
        assert.deepEqual(addrs.sort(), [...intent.addresses].sort(), `${name}: ${log.slice(-2000)}`);
        const routes = JSON.parse(routesJson) as { gateway?: string; dev?: string }[];
        assert.deepEqual(
          routes.map((r) => [r.gateway, r.dev]),
          [['10.231.1.1', 'br9']],
          name,
        );
      });
    }
  },
);
