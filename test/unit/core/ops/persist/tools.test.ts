/**
 * The generated files fed to the real tools, each kept away from the machine's network:
 * netplan and ifupdown read a temp root, nmcli runs --offline (no daemon), and
 * systemd-networkd runs in throwaway network and mount namespaces. A test skips, saying
 * why, only when its tool is absent (install list: test/deps/debian-packages.txt).
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { persistSteps, type PersistIntent } from '../../../../../src/core/ops/persist';
import { cases, hosts, mac, now } from './fixture';
import { materialise, nsOk, run, which, withTmp } from './tools';

test(
  'netplan generate --root-dir accepts the YAML and renders the bridge',
  { skip: which('netplan') ? false : 'netplan is not installed (Debian package netplan.io)' },
  () => {
    const expect: Record<keyof typeof cases, { netdev: RegExp[]; network: RegExp[] }> = {
      static: {
        netdev: [/Kind=bridge/, new RegExp(`MACAddress=${mac}`), /STP=true/, /ForwardDelaySec=4/],
        network: [/Address=10\.231\.2\.2\/24/, /Gateway=10\.231\.2\.1/],
      },
      dhcp: { netdev: [/STP=false/], network: [/DHCP=ipv4/] },
      plain: { netdev: [/Name=br7/, /STP=false/], network: [/Name=br7/] },
    };
    for (const [name, intent] of Object.entries(cases) as [keyof typeof cases, PersistIntent][]) {
      withTmp((root) => {
        materialise(root, persistSteps(hosts.netplan, intent, 'netplan', { now }));
        const r = run('netplan', ['generate', '--root-dir', root]);
        assert.equal(r.status, 0, `${name}: ${r.stderr}`);
        assert.equal(r.stderr.trim(), '', `${name}: netplan complained: ${r.stderr}`);
        const out = join(root, 'run/systemd/network');
        const files = readdirSync(out);
        const br = name === 'plain' ? 'br7' : 'br9';
        const netdev = readFileSync(join(out, `10-netplan-${br}.netdev`), 'utf8');
        const network = readFileSync(join(out, `10-netplan-${br}.network`), 'utf8');
        for (const re of expect[name].netdev) assert.match(netdev, re, name);
        for (const re of expect[name].network) assert.match(network, re, name);
        if (name !== 'plain') assert.match(readFileSync(join(out, '10-netplan-enp3s1.network'), 'utf8'), /Bridge=br9/);
        assert.ok(files.length >= 2);
      });
    }
  },
);

test(
  'ifupdown (ifquery, ifup --no-act) reads the interfaces.d file as meant',
  { skip: which('ifquery') ? false : 'ifupdown is not installed (Debian package ifupdown)' },
  () => {
    for (const [name, intent] of Object.entries(cases) as [keyof typeof cases, PersistIntent][]) {
      withTmp((root) => {
        const r = persistSteps(hosts.ifupdown, intent, 'ifupdown', { now });
        materialise(root, r);
        const dir = join(root, 'etc/network/interfaces.d');
        // A hidden backup with a clashing stanza must not be read through the glob.
        writeFileSync(join(dir, '.virtnet-br9.virtnet-bak-x'), 'auto br9\niface br9 inet dhcp\n');
        const main = join(root, 'interfaces');
        writeFileSync(main, `auto lo\niface lo inet loopback\nsource ${dir}/*\n`);
        const br = name === 'plain' ? 'br7' : 'br9';
        const list = run('ifquery', ['-i', main, '--list', '-a']);
        assert.equal(list.status, 0, list.stderr);
        assert.deepEqual(list.stdout.trim().split('\n').sort(), ['lo', br].sort());
        const q = run('ifquery', ['-i', main, br]);
        assert.equal(q.status, 0, q.stderr);
        const opts = Object.fromEntries(
          q.stdout
            .trim()
            .split('\n')
            .map((l) => l.split(': ') as [string, string]),
        );
        const want: Record<string, string> =
          name === 'static'
            ? {
                bridge_ports: 'enp3s1',
                bridge_stp: 'on',
                bridge_fd: '4',
                hwaddress: mac,
                address: '10.231.2.2',
                netmask: '255.255.255.0',
                gateway: '10.231.2.1',
              }
            : name === 'dhcp'
              ? { bridge_ports: 'enp3s1', bridge_stp: 'off', hwaddress: mac }
              : { bridge_ports: 'none', bridge_stp: 'off' };
        for (const [k, v] of Object.entries(want)) assert.equal(opts[k], v, `${name}: ${k} in ${q.stdout}`);
        mkdirSync(join(root, 'state'));
        const up = run('ifup', ['--no-act', '-v', '-i', main, '--state-dir', join(root, 'state'), br]);
        assert.equal(up.status, 0, `${name}: ${up.stderr}`);
        assert.match(up.stdout + up.stderr, new RegExp(`configuring interface ${br}=${br} \\(inet\\)`));
        if (name === 'static') assert.match(up.stdout + up.stderr, /ip route add default via 10\.231\.2\.1 +dev br9/);
      });
    }
    // The tap's stanza: ifup would create it, plug it into the bridge, bring it up.
    withTmp((root) => {
      const r = persistSteps(hosts.ifupdown, { kind: 'tap', name: 'vnet7', bridge: 'br9' }, 'ifupdown', { now });
      materialise(root, r);
      mkdirSync(join(root, 'state'));
      const up = run('ifup', ['--no-act', '-v', '-i', join(root, r.files[0]!.path), '--state-dir', join(root, 'state'), 'vnet7']);
      assert.equal(up.status, 0, up.stderr);
      assert.match(up.stdout + up.stderr, /ip tuntap add dev vnet7 mode tap[\s\S]*ip link set dev vnet7 master br9/);
    });
  },
);

test(
  'nmcli --offline accepts every connection VirtNet would add',
  { skip: which('nmcli') ? false : 'nmcli is not installed (Debian package network-manager)' },
  () => {
    // --offline exists from NetworkManager 1.42 on; older nmcli has no way to check without a daemon.
    const probe = run('nmcli', ['--offline', 'connection', 'add', 'type', 'bridge', 'ifname', 'probe0']);
    assert.equal(probe.status, 0, `nmcli has no working --offline (needs NetworkManager 1.42+): ${probe.stderr}`);
    const intents: PersistIntent[] = [
      ...Object.values(cases),
      { kind: 'tap', name: 'vnet7', bridge: 'br9' },
      { kind: 'tap', name: 'vnet8' },
      { kind: 'bridge', bridge: 'br6', stp: true, ports: [], addresses: ['fd00::2/64'], gateway: 'fd00::1' },
    ];
    let checked = 0;
    for (const intent of intents) {
      for (const s of persistSteps(hosts.networkmanager, intent, 'networkmanager', { now }).steps.filter((x) => x.argv[0] === 'nmcli')) {
        const r = run('nmcli', ['--offline', ...s.argv.slice(1)]);
        assert.equal(r.status, 0, `${s.argv.join(' ')}: ${r.stderr}`);
        const uuid = s.argv[s.argv.indexOf('connection.uuid') + 1];
        const ifname = s.argv[s.argv.indexOf('ifname') + 1];
        assert.match(r.stdout, new RegExp(`^uuid=${uuid}$`, 'm'));
        assert.match(r.stdout, new RegExp(`^interface-name=${ifname}$`, 'm'));
        if (s.argv.includes('connection.master')) assert.match(r.stdout, /^master=br9$\n^slave-type=bridge$/m);
        if (s.argv.includes('ipv4.gateway')) assert.match(r.stdout, /^address1=10\.231\.2\.2\/24,10\.231\.2\.1$/m);
        if (s.argv.includes('bridge.forward-delay')) assert.match(r.stdout, /^forward-delay=4$/m);
        if (s.argv.includes('ipv6.gateway')) assert.match(r.stdout, /^address1=fd00::2\/64,fd00::1$/m);
        checked++;
      }
    }
    assert.equal(checked, 8);
  },
);

const networkd = which('systemd-networkd');
test(
  'systemd-networkd (in throwaway namespaces) parses the files without a warning and makes the bridge',
  {
    skip: !networkd
      ? 'systemd-networkd is not installed (Debian package systemd)'
      : !nsOk
        ? 'needs root and unshare -n -m to run networkd away from the real network'
        : false,
  },
  () => {
    withTmp((root) => {
      const dhcp: PersistIntent = { ...(cases.dhcp as Extract<PersistIntent, { kind: 'bridge' }>), bridge: 'br8', ports: ['enp3s8'] };
      const results = [cases.static, cases.plain, dhcp, { kind: 'tap', name: 'vnet7', bridge: 'br9' } as PersistIntent].map((i) =>
        persistSteps(hosts.networkd, i, 'networkd', { now }),
      );
      for (const r of results) materialise(root, r);
      const dir = join(root, 'etc/systemd/network');
      // A private /run hides the host's bus and networkd state; the netns hides its links.
      const script = `mount -t tmpfs tmpfs /run && mkdir -p /run/systemd/netif && mount --bind "$1" /etc/systemd/network && SYSTEMD_LOG_LEVEL=debug SYSTEMD_LOG_TARGET=console timeout 3 "$2" 2>&1; echo "@@links"; ip -d -j link show`;
      const out = execFileSync('unshare', ['-n', '-m', '--propagation', 'private', 'sh', '-c', script, 'virtnet-networkd-check', dir, networkd!], {
        encoding: 'utf8',
      });
      const [log, linksJson] = out.split('@@links\n') as [string, string];
      const ours = log.split('\n').filter((l) => l.includes('05-virtnet-'));
      // networkd prefixes parse problems with the file and line: none may mention our files.
      assert.deepEqual(
        ours.filter((l) => /\.(netdev|network):\d+:/.test(l)),
        [],
        ours.join('\n'),
      );
      const links = JSON.parse(linksJson) as {
        ifname: string;
        linkinfo?: { info_kind?: string; info_data?: { stp_state?: number; forward_delay?: number } };
      }[];
      const br9 = links.find((l) => l.ifname === 'br9');
      assert.equal(br9?.linkinfo?.info_kind, 'bridge', log.slice(-2000));
      assert.equal(br9?.linkinfo?.info_data?.stp_state, 1);
      assert.equal(br9?.linkinfo?.info_data?.forward_delay, 400);
      assert.equal(links.find((l) => l.ifname === 'br7')?.linkinfo?.info_data?.stp_state, 0);
      assert.equal(links.find((l) => l.ifname === 'br8')?.linkinfo?.info_kind, 'bridge');
      // The tap needs /dev/net/tun; where it exists, networkd must have made it too.
      if (existsSync('/dev/net/tun')) assert.equal(links.find((l) => l.ifname === 'vnet7')?.linkinfo?.info_kind, 'tun');
    });
  },
);
