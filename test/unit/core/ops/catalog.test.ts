/**
 * Every operation of the catalog, planned on real captured hosts: its exact argv and undo (a
 * planner that returns no steps, or a step that loses its undo, fails here), facts it was made
 * from that hold on the model it was made from, facts it promises that do not hold yet, and a
 * short form of one line per step. A new operation without a case here fails the coverage test.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { buildHostModel } from '../../../../src/core/collect/build';
import type { HostModel, Link } from '../../../../src/core/model/types';
import { CATALOG, operation } from '../../../../src/core/ops/catalog/index';
import type { Args } from '../../../../src/core/ops/catalog/types';
import { planChange } from '../../../../src/core/ops/change';
import { factProblems } from '../../../../src/core/ops/facts';
import { installArgv, stateArgv, uninstallArgv } from '../../../../src/core/ops/forward/plan';
import { stateText } from '../../../../src/core/ops/forward/state';
import { FORWARDS_SYNC } from '../../../../src/core/ops/forward/script';
import { virshWithXmlArgv } from '../../../../src/core/ops/libvirt/virsh';
import { interfaceElement } from '../../../../src/core/ops/libvirt/nicSet';
import { DISPLAY_MAX, PlanInputError } from '../../../../src/core/ops/plan';

const fixture = (name: string, host: string) =>
  buildHostModel({ host, output: readFileSync(new URL(`../../../fixtures/collector/${name}`, import.meta.url), 'utf8'), nonce: 'f1x7u2e0n0ce', asRoot: null });

/** The seed lab host: br9 (enp3s1, vnet0), virbr0 (vnet1 of VM c7). */
const seed = fixture('seed.out', 'vnl-a');
/** A bare lab host: enp3s1 with 10.231.2.2/24 and the default route. */
const bare = fixture('bare.out', 'vnl-b');

const tap = (name: string): Link => ({
  name,
  kind: 'tun',
  portKind: 'tap',
  up: false,
  operState: 'DOWN',
  mac: '9a:00:00:00:00:05',
  mtu: 1500,
  master: null,
  addresses: [],
});
/** The seed host with a free tap vnet5 and an empty bridge br7. */
const roomy: HostModel = {
  ...seed,
  links: [...seed.links, tap('vnet5'), { ...tap('br7'), kind: 'bridge', portKind: 'bridge' }],
  bridges: [...seed.bridges, { name: 'br7', stp: false, vlanFiltering: false, up: false, mac: null, mtu: 1500, addresses: [], forwardDelay: 15, ports: [] }],
};

/** The seed host's definitions as the collector read them (`--inactive`). */
const defaultXml = seed.networks.find((n) => n.name === 'default')!.inactiveXml!;
const c7Xml = seed.domains.find((d) => d.name === 'c7')!.inactiveXml!;
const c7Nic = c7Xml.slice(c7Xml.indexOf("<interface type='network'>"), c7Xml.indexOf('</interface>') + '</interface>'.length);
/** default's definition on another subnet (its address and range). */
const movedDefault = defaultXml.replaceAll('192.168.122.', '192.168.123.');
/** c7's NIC as the running guest has it (its tap, alias, live source attributes). */
const c7LiveNic = interfaceElement(seed.domains.find((d) => d.name === 'c7')!.xml, '52:54:00:c7:00:01')!.text;
const zxdbNic = interfaceElement(seed.domains.find((d) => d.name === 'zxdb')!.inactiveXml!, '52:54:00:2d:b0:01')!.text;
const newNic = [
  "<interface type='network'>",
  "  <mac address='52:54:00:aa:00:01'/>",
  "  <source network='default'/>",
  "  <model type='virtio'/>",
  '</interface>',
].join('\n');
const zxdbDirect = [
  "<interface type='direct'>",
  "  <mac address='52:54:00:aa:00:02'/>",
  "  <source dev='enp4s0' mode='vepa'/>",
  "  <model type='e1000e'/>",
  '</interface>',
].join('\n');
const withXml = (xml: string, ...args: string[]) => [...virshWithXmlArgv('qemu:///system', xml, ...args)];
const virsh = (...args: string[]) => ['virsh', '-q', '-c', 'qemu:///system', ...args];
/** `net-update` of the running, persistent default network: live and in its definition. */
const netUpdate = (command: string, section: string, xml: string) =>
  virsh('net-update', '--network', 'default', '--command', command, '--section', section, '--xml', xml, '--live', '--config');
const c7Lease = seed.networks[0]!.leases.find((l) => l.mac === '52:54:00:c7:00:01')!.ip;
const c7Forward = {
  proto: 'tcp' as const,
  hostPort: 19922,
  guestIp: c7Lease,
  guestPort: 22,
  bridge: 'virbr0',
  hostAddress: null,
  fromHost: false,
  hairpin: null,
  vm: 'c7',
  mac: '52:54:00:c7:00:01',
};
const c7Host = `<host mac='52:54:00:c7:00:01' name='c7' ip='${c7Lease}'/>`;
const c7Hand = {
  proto: 'tcp' as const,
  hostPort: 19922,
  hostAddress: null,
  inInterface: null,
  guestIp: c7Lease,
  guestPort: 22,
  rule: `-p tcp -m tcp --dport 19922 -j DNAT --to-destination ${c7Lease}:22`,
  position: 1,
};

/** The seed host with default's range narrowed to .2-.100 (in its definition too). */
const narrowRange: HostModel = {
  ...seed,
  networks: seed.networks.map((n) => ({
    ...n,
    ips: n.ips.map((ip, i) => (i === 0 ? { ...ip, dhcpRanges: [{ start: '192.168.122.2', end: '192.168.122.100', lease: null }] } : ip)),
    inactiveXml: n.inactiveXml!.replace("end='192.168.122.254'", "end='192.168.122.100'"),
  })),
};
/** The seed host with a static host on default, in its definition as libvirt would print it. */
const withStaticHost: HostModel = {
  ...seed,
  networks: seed.networks.map((n) => ({
    ...n,
    ips: n.ips.map((ip, i) => (i === 0 ? { ...ip, dhcpHosts: [{ mac: '52:54:00:aa:00:02', id: null, name: null, ip: '192.168.122.20', lease: null }] } : ip)),
    inactiveXml: n.inactiveXml!.replace('</dhcp>', "  <host mac='52:54:00:aa:00:02' ip='192.168.122.20'/>\n    </dhcp>"),
  })),
};

interface Case {
  model: HostModel;
  args: Args;
  argv: string[][];
  undo: (string[] | null)[];
}

const CASES: Record<string, Case[]> = {
  'bridge.create': [
    {
      model: roomy,
      args: { name: 'br10', stp: true, forwardDelay: 4, port: ['vnet5'] },
      argv: [
        ['ip', 'link', 'add', 'name', 'br10', 'type', 'bridge', 'stp_state', '1', 'forward_delay', '400'],
        ['ip', 'link', 'set', 'dev', 'vnet5', 'master', 'br10'],
        ['ip', 'link', 'set', 'dev', 'br10', 'up'],
      ],
      undo: [['ip', 'link', 'del', 'dev', 'br10'], ['ip', 'link', 'set', 'dev', 'vnet5', 'nomaster'], null],
    },
  ],
  'bridge.uplink': [
    {
      model: bare,
      args: { nic: 'enp3s1', bridge: 'br9', address: '10.231.2.2/24', gateway: '10.231.2.1', stp: false },
      argv: [
        ['ip', 'link', 'add', 'name', 'br9', 'type', 'bridge', 'stp_state', '0'],
        ['ip', 'link', 'set', 'dev', 'br9', 'address', bare.links.find((l) => l.name === 'enp3s1')!.mac!],
        ['ip', 'link', 'set', 'dev', 'br9', 'up'],
        ['ip', 'route', 'del', 'default', 'via', '10.231.2.1', 'dev', 'enp3s1'],
        ['ip', 'addr', 'del', '10.231.2.2/24', 'dev', 'enp3s1'],
        ['ip', 'link', 'set', 'dev', 'enp3s1', 'master', 'br9'],
        ['ip', 'addr', 'add', '10.231.2.2/24', 'dev', 'br9'],
        ['ip', 'route', 'add', 'default', 'via', '10.231.2.1', 'dev', 'br9'],
      ],
      undo: [
        ['ip', 'link', 'del', 'dev', 'br9'],
        null,
        null,
        ['ip', 'route', 'add', 'default', 'via', '10.231.2.1', 'dev', 'enp3s1'],
        ['ip', 'addr', 'add', '10.231.2.2/24', 'dev', 'enp3s1'],
        ['ip', 'link', 'set', 'dev', 'enp3s1', 'nomaster'],
        ['ip', 'addr', 'del', '10.231.2.2/24', 'dev', 'br9'],
        ['ip', 'route', 'del', 'default', 'via', '10.231.2.1', 'dev', 'br9'],
      ],
    },
  ],
  'bridge.addPort': [
    {
      model: roomy,
      args: { bridge: 'br9', port: 'vnet5' },
      argv: [['ip', 'link', 'set', 'dev', 'vnet5', 'master', 'br9']],
      undo: [['ip', 'link', 'set', 'dev', 'vnet5', 'nomaster']],
    },
  ],
  'bridge.removePort': [
    {
      model: seed,
      args: { bridge: 'br9', port: 'vnet0' },
      argv: [['ip', 'link', 'set', 'dev', 'vnet0', 'nomaster']],
      undo: [['ip', 'link', 'set', 'dev', 'vnet0', 'master', 'br9']],
    },
  ],
  'bridge.stp': [
    {
      model: roomy,
      args: { bridge: 'br7', on: true },
      argv: [['ip', 'link', 'set', 'dev', 'br7', 'type', 'bridge', 'stp_state', '1']],
      undo: [['ip', 'link', 'set', 'dev', 'br7', 'type', 'bridge', 'stp_state', '0']],
    },
  ],
  'bridge.delete': [{ model: roomy, args: { bridge: 'br7' }, argv: [['ip', 'link', 'del', 'dev', 'br7']], undo: [null] }],
  'bridge.address': [
    {
      model: roomy,
      args: { ifname: 'br7', add: ['10.9.9.1/24'] },
      argv: [['ip', 'addr', 'add', '10.9.9.1/24', 'dev', 'br7']],
      undo: [['ip', 'addr', 'del', '10.9.9.1/24', 'dev', 'br7']],
    },
    {
      model: seed,
      args: { ifname: 'br9', clear: true },
      argv: [
        ['ip', 'route', 'del', 'default', 'via', '10.231.1.1', 'dev', 'br9'],
        ['ip', 'addr', 'del', '10.231.1.2/24', 'dev', 'br9'],
      ],
      undo: [
        ['ip', 'route', 'add', 'default', 'via', '10.231.1.1', 'dev', 'br9'],
        ['ip', 'addr', 'add', '10.231.1.2/24', 'dev', 'br9'],
      ],
    },
  ],
  'tap.create': [
    {
      model: seed,
      args: { name: 'vnet7', bridge: 'br9' },
      argv: [
        ['ip', 'tuntap', 'add', 'dev', 'vnet7', 'mode', 'tap'],
        ['ip', 'link', 'set', 'dev', 'vnet7', 'master', 'br9'],
        ['ip', 'link', 'set', 'dev', 'vnet7', 'up'],
      ],
      undo: [['ip', 'tuntap', 'del', 'dev', 'vnet7', 'mode', 'tap'], null, null],
    },
  ],
  'tap.delete': [{ model: seed, args: { name: 'vnet0' }, argv: [['ip', 'tuntap', 'del', 'dev', 'vnet0', 'mode', 'tap']], undo: [null] }],
  'network.edit': [
    {
      model: seed,
      args: { network: 'default', mtu: 9000 },
      // The definition as the host printed it, with one line added where libvirt prints <mtu>.
      argv: [withXml(defaultXml.replace(/(<bridge [^\n]*\/>\n)/, "$1  <mtu size='9000'/>\n"), 'net-define', '--file')],
      undo: [withXml(defaultXml, 'net-define', '--file')],
    },
    {
      model: seed,
      args: { network: 'default', dnsDomain: 'lab.test' },
      argv: [withXml(defaultXml.replace(/(<mac [^\n]*\/>\n)/, "$1  <domain name='lab.test'/>\n"), 'net-define', '--file')],
      undo: [withXml(defaultXml, 'net-define', '--file')],
    },
  ],
  'forward.add': [
    {
      // c7's lease becomes its static host, then the first forward installs the script and hooks.
      model: seed,
      args: { domain: 'c7', ports: '19922:22' },
      argv: [installArgv(), netUpdate('add-last', 'ip-dhcp-host', c7Host), stateArgv(stateText([c7Forward]))],
      undo: [uninstallArgv(), netUpdate('delete', 'ip-dhcp-host', c7Host), stateArgv(stateText([]))],
    },
  ],
  'forward.adopt': [
    {
      // The guide's hand-written DNAT to c7: VirtNet's forward in its place, then the rule deleted.
      model: { ...seed, handForwards: [c7Hand] },
      args: { domain: 'c7', port: '19922' },
      argv: [
        installArgv(),
        netUpdate('add-last', 'ip-dhcp-host', c7Host),
        stateArgv(stateText([c7Forward])),
        ['iptables', '-w', '-t', 'nat', '-D', 'PREROUTING', ...c7Hand.rule.split(' ')],
      ],
      undo: [
        uninstallArgv(),
        netUpdate('delete', 'ip-dhcp-host', c7Host),
        stateArgv(stateText([])),
        ['iptables', '-w', '-t', 'nat', '-I', 'PREROUTING', '1', ...c7Hand.rule.split(' ')],
      ],
    },
  ],
  'forward.remove': [
    {
      model: { ...seed, forwards: [c7Forward] },
      args: { domain: 'c7', port: '19922' },
      argv: [stateArgv(stateText([])), uninstallArgv()],
      undo: [stateArgv(stateText([c7Forward])), installArgv()],
    },
  ],
  'forward.reapply': [
    {
      // A firewalld reload took VirtNet's DNAT: the sync script runs once (nothing to undo).
      model: { ...seed, forwards: [c7Forward], forwardsAmiss: ['tcp 19922: no DNAT'] },
      args: {},
      argv: [[FORWARDS_SYNC]],
      undo: [null],
    },
  ],
  'network.redefine': [
    {
      // default moved to 192.168.123.0/24 and restarted: c7's tap goes back on virbr0.
      model: seed,
      args: { network: 'default', file: movedDefault, restart: true },
      argv: [
        virsh('net-destroy', '--network', 'default'),
        withXml(movedDefault, 'net-define', '--file'),
        virsh('net-start', '--network', 'default'),
        ['ip', 'link', 'set', 'dev', 'vnet1', 'master', 'virbr0'],
      ],
      undo: [
        virsh('net-start', '--network', 'default'),
        withXml(defaultXml, 'net-define', '--file'),
        virsh('net-destroy', '--network', 'default'),
        ['ip', 'link', 'set', 'dev', 'vnet1', 'nomaster'],
      ],
    },
    {
      model: seed,
      args: { network: 'default', file: movedDefault },
      argv: [withXml(movedDefault, 'net-define', '--file')],
      undo: [withXml(defaultXml, 'net-define', '--file')],
    },
  ],
  'network.create': [
    {
      model: seed,
      args: {
        name: 'lab',
        forward: 'nat',
        address: '192.168.50.1/24',
        dhcpRange: ['192.168.50.100-192.168.50.200'],
        dhcpHost: ['52:54:00:aa:00:01,192.168.50.10,vm1'],
        autostart: true,
      },
      argv: [
        withXml(
          [
            '<network>',
            '  <name>lab</name>',
            "  <forward mode='nat'/>",
            "  <bridge name='virbr1' stp='on' delay='0'/>",
            "  <ip address='192.168.50.1' prefix='24'>",
            '    <dhcp>',
            "      <range start='192.168.50.100' end='192.168.50.200'/>",
            "      <host mac='52:54:00:aa:00:01' name='vm1' ip='192.168.50.10'/>",
            '    </dhcp>',
            '  </ip>',
            '</network>',
            '',
          ].join('\n'),
          'net-define',
          '--file',
        ),
        virsh('net-start', '--network', 'lab'),
        virsh('net-autostart', '--network', 'lab'),
      ],
      undo: [virsh('net-undefine', '--network', 'lab'), virsh('net-destroy', '--network', 'lab'), virsh('net-autostart', '--network', 'lab', '--disable')],
    },
  ],
  'network.start': [
    {
      model: { ...seed, links: seed.links.filter((l) => l.name !== 'virbr0'), networks: seed.networks.map((n) => ({ ...n, active: false })) },
      args: { network: 'default' },
      argv: [virsh('net-start', '--network', 'default')],
      undo: [virsh('net-destroy', '--network', 'default')],
    },
    {
      // After a stop, c7's tap stays without a master: the start puts it back on virbr0.
      model: {
        ...seed,
        links: seed.links.filter((l) => l.name !== 'virbr0').map((l) => (l.name === 'vnet1' ? { ...l, master: null } : l)),
        networks: seed.networks.map((n) => ({ ...n, active: false })),
      },
      args: { network: 'default' },
      argv: [virsh('net-start', '--network', 'default'), ['ip', 'link', 'set', 'dev', 'vnet1', 'master', 'virbr0']],
      undo: [virsh('net-destroy', '--network', 'default'), ['ip', 'link', 'set', 'dev', 'vnet1', 'nomaster']],
    },
  ],
  'network.stop': [
    {
      model: seed,
      args: { network: 'default', force: true },
      argv: [virsh('net-destroy', '--network', 'default')],
      undo: [virsh('net-start', '--network', 'default')],
    },
  ],
  'network.autostart': [
    {
      model: seed,
      args: { network: 'default', on: false },
      argv: [virsh('net-autostart', '--network', 'default', '--disable')],
      undo: [virsh('net-autostart', '--network', 'default')],
    },
  ],
  'network.delete': [
    {
      model: seed,
      args: { network: 'default', force: true },
      argv: [
        virsh('net-autostart', '--network', 'default', '--disable'),
        virsh('net-destroy', '--network', 'default'),
        virsh('net-undefine', '--network', 'default'),
      ],
      undo: [virsh('net-autostart', '--network', 'default'), virsh('net-start', '--network', 'default'), withXml(defaultXml, 'net-define', '--file')],
    },
  ],
  'network.dhcpHostAdd': [
    {
      // "Make Lease Static" on c7's lease.
      model: seed,
      args: { network: 'default', host: `52:54:00:c7:00:01,${c7Lease},c7` },
      argv: [netUpdate('add-last', 'ip-dhcp-host', `<host mac='52:54:00:c7:00:01' name='c7' ip='${c7Lease}'/>`)],
      undo: [netUpdate('delete', 'ip-dhcp-host', `<host mac='52:54:00:c7:00:01' name='c7' ip='${c7Lease}'/>`)],
    },
  ],
  'network.dhcpHostRemove': [
    {
      model: withStaticHost,
      args: { network: 'default', mac: '52:54:00:aa:00:02' },
      argv: [netUpdate('delete', 'ip-dhcp-host', "<host mac='52:54:00:aa:00:02' ip='192.168.122.20'/>")],
      undo: [netUpdate('add-last', 'ip-dhcp-host', "<host mac='52:54:00:aa:00:02' ip='192.168.122.20'/>")],
    },
  ],
  'network.dhcpRangeAdd': [
    {
      model: narrowRange,
      args: { network: 'default', range: '192.168.122.200-192.168.122.220' },
      argv: [netUpdate('add-last', 'ip-dhcp-range', "<range start='192.168.122.200' end='192.168.122.220'/>")],
      undo: [netUpdate('delete', 'ip-dhcp-range', "<range start='192.168.122.200' end='192.168.122.220'/>")],
    },
  ],
  'network.dhcpRangeRemove': [
    {
      model: seed,
      args: { network: 'default', range: '192.168.122.2-192.168.122.254' },
      argv: [netUpdate('delete', 'ip-dhcp-range', "<range start='192.168.122.2' end='192.168.122.254'/>")],
      undo: [netUpdate('add-last', 'ip-dhcp-range', "<range start='192.168.122.2' end='192.168.122.254'/>")],
    },
  ],
  'nic.attach': [
    {
      // c7 runs and is defined: the new NIC goes into both.
      model: seed,
      args: { domain: 'c7', network: 'default', mac: '52:54:00:aa:00:01' },
      argv: [withXml(newNic, 'attach-device', '--domain', 'c7', '--live', '--config', '--file')],
      undo: [withXml(newNic, 'detach-device', '--domain', 'c7', '--live', '--config', '--file')],
    },
    {
      // zxdb is shut off: its definition only; an emulated model, macvtap over a NIC no bridge holds.
      model: { ...seed, links: [...seed.links, { ...seed.links.find((l) => l.name === 'enp3s1')!, name: 'enp4s0', master: null }] },
      args: { domain: 'zxdb', direct: 'enp4s0', mode: 'vepa', model: 'e1000e', mac: '52:54:00:aa:00:02' },
      argv: [withXml(zxdbDirect, 'attach-device', '--domain', 'zxdb', '--config', '--file')],
      undo: [withXml(zxdbDirect, 'detach-device', '--domain', 'zxdb', '--config', '--file')],
    },
  ],
  'nic.detach': [
    {
      model: seed,
      args: { domain: 'zxdb', mac: '52:54:00:2d:b0:01' },
      argv: [withXml(zxdbNic, 'detach-device', '--domain', 'zxdb', '--config', '--file')],
      undo: [withXml(zxdbNic, 'attach-device', '--domain', 'zxdb', '--config', '--file')],
    },
  ],
  'nic.set': [
    {
      // c7 runs: the definition gets the new model and link, the running guest its link.
      model: seed,
      args: { domain: 'c7', mac: '52:54:00:c7:00:01', model: 'e1000e', link: 'down' },
      argv: [
        withXml(
          c7Nic.replace("<model type='virtio'/>", "<model type='e1000e'/>\n      <link state='down'/>"),
          'update-device',
          '--domain',
          'c7',
          '--config',
          '--file',
        ),
        ['virsh', '-q', '-c', 'qemu:///system', 'domif-setlink', '--domain', 'c7', '--interface', '52:54:00:c7:00:01', '--state', 'down'],
      ],
      undo: [
        withXml(c7Nic, 'update-device', '--domain', 'c7', '--config', '--file'),
        ['virsh', '-q', '-c', 'qemu:///system', 'domif-setlink', '--domain', 'c7', '--interface', '52:54:00:c7:00:01', '--state', 'up'],
      ],
    },
    {
      // c7 moves to br9: its definition, then its running NIC (the tap moves); only type and source changed.
      model: seed,
      args: { domain: 'c7', mac: '52:54:00:c7:00:01', bridge: 'br9' },
      argv: [
        withXml(
          c7Nic.replace("type='network'", "type='bridge'").replace(/<source [^>]*\/>/, "<source bridge='br9'/>"),
          'update-device',
          '--domain',
          'c7',
          '--config',
          '--file',
        ),
        withXml(
          c7LiveNic.replace("type='network'", "type='bridge'").replace(/<source [^>]*\/>/, "<source bridge='br9'/>"),
          'update-device',
          '--domain',
          'c7',
          '--live',
          '--file',
        ),
      ],
      undo: [
        withXml(c7Nic, 'update-device', '--domain', 'c7', '--config', '--file'),
        withXml(c7LiveNic, 'update-device', '--domain', 'c7', '--live', '--file'),
      ],
    },
  ],
};

test('every operation of the catalog has a planned case here', () => {
  assert.deepEqual(Object.keys(CASES).sort(), CATALOG.map((o) => o.id).sort());
});

for (const [id, cases] of Object.entries(CASES)) {
  cases.forEach((c, i) => {
    test(`${id} #${i + 1}: exact argv and undo; facts before hold, facts after do not yet; one-line steps`, () => {
      const change = planChange(c.model, operation(id)!, c.args, 'none', new Date('2026-12-01T00:00:00Z'));
      const { plan } = change;
      assert.deepEqual(
        plan.steps.map((s) => s.argv),
        c.argv,
      );
      assert.deepEqual(
        plan.steps.map((s) => s.undo),
        c.undo,
      );
      assert.deepEqual(factProblems(c.model, plan.before), [], 'the plan is made from facts that hold');
      assert.equal(plan.before[0]?.fact, 'host', 'a plan is tied to its host first');
      assert.ok(plan.after.length > 0, 'it promises something');
      assert.ok(factProblems(c.model, plan.after).length > 0, 'and what it promises is not true yet');
      for (const s of plan.steps) assert.ok(!s.display.includes('\n') && s.display.length <= DISPLAY_MAX, s.display);
      // Network-manager changes say they are runtime only when not saved; libvirt keeps its own.
      assert.equal(
        plan.warnings.some((w) => /runtime only/.test(w)),
        operation(id)!.plan(c.model, c.args).persist !== undefined,
      );
    });
  });
}

test('bad input is refused by every planner with the reason, nothing planned', () => {
  const refuse = (id: string, model: HostModel, args: Args, re: RegExp) =>
    assert.throws(
      () => planChange(model, operation(id)!, args, 'none'),
      (e: unknown) => e instanceof PlanInputError && re.test(e.problems.join('\n')),
    );
  refuse('bridge.create', seed, { name: 'br`id`' }, /may only contain letters, digits/);
  refuse('bridge.create', seed, { name: 'b$(reboot)' }, /may only contain letters, digits/);
  refuse('tap.create', seed, { name: 'vnet;x' }, /may only contain letters, digits/);
  refuse('bridge.uplink', bare, { nic: 'enp3s1', bridge: 'br0;x', dhcp: true }, /may only contain/);
  refuse('bridge.addPort', seed, { bridge: 'br9', port: 'nosuch' }, /no interface "nosuch"/);
  refuse('tap.delete', seed, { name: 'vnet1' }, /belongs to the running VM c7/);
  refuse('bridge.delete', seed, { bridge: 'br9' }, /holds the host's addresses .*--force/s);
  refuse('bridge.stp', seed, { bridge: 'nosuch', on: true }, /no bridge "nosuch"/);
  refuse('network.edit', seed, { network: 'nosuch', mtu: 9000 }, /no libvirt network named "nosuch"/);
  refuse('network.edit', seed, { network: 'default', mtu: 20 }, /not an MTU between 68 and 65535/);
  refuse('network.edit', seed, { network: 'default', dnsDomain: "x'/><evil/>" }, /not a DNS domain/);
  refuse('network.edit', seed, { network: 'default' }, /nothing to change/);
  refuse('network.edit', seed, { network: 'default', mtu: 0 }, /already has no MTU set/);
  refuse('nic.set', seed, { domain: 'c7', mac: '52:54:00:00:00:99', model: 'virtio' }, /no NIC with the MAC/);
  refuse('nic.set', seed, { domain: 'c7', mac: '52:54:00:c7:00:01', model: "e1000'/><x" }, /not a NIC model name/);
  refuse('nic.set', seed, { domain: 'c7', mac: '52:54:00:c7:00:01', model: 'virtio' }, /already has the model virtio/);
  refuse('nic.set', seed, { domain: 'c7', mac: '52:54:00:c7:00:01', model: 'ne2000x' }, /offers no NIC model "ne2000x"/);
  refuse('nic.set', seed, { domain: 'c7', mac: '52:54:00:c7:00:01', link: 'up' }, /already up/);
  refuse('nic.set', seed, { domain: 'c7', mac: '52:54:00:c7:00:01', network: 'default' }, /is on network default already/);
  refuse('nic.set', seed, { domain: 'c7', mac: '52:54:00:c7:00:01', bridge: 'br7' }, /has no bridge "br7"/);
  refuse('nic.attach', seed, { domain: 'c7', network: "n'/><x" }, /has no libvirt network named/);
  refuse('nic.attach', seed, { domain: 'c7' }, /say what the NIC connects to/);
  refuse('nic.attach', seed, { domain: 'c7', network: 'default', bridge: 'br9' }, /say what the NIC connects to/);
  refuse('nic.attach', seed, { domain: 'c7', network: 'default', mac: '52:54:00:c7:00:01' }, /has the MAC 52:54:00:c7:00:01 already/);
  refuse('nic.attach', seed, { domain: 'c7', network: 'default', mac: '53:54:00:00:00:01' }, /multicast/);
  refuse('nic.attach', seed, { domain: 'c7', network: 'default', model: 'e1000e', queues: 4 }, /--queues is virtio-net's multiqueue/);
  refuse('nic.attach', seed, { domain: 'c7', direct: 'enp3s1' }, /enp3s1 is a port of br9: macvtap needs a NIC no bridge holds/);
  refuse('nic.attach', seed, { domain: 'c7', direct: 'br9' }, /br9 is a bridge/);
  refuse('nic.attach', seed, { domain: 'zxdb', bridge: 'br9', live: true }, /zxdb is not running: --live needs it running/);
  refuse('nic.detach', seed, { domain: 'c7', mac: '52:54:00:00:00:99' }, /has no NIC with the MAC/);
  refuse('nic.detach', seed, { domain: 'zxdb', mac: '52:54:00:2d:b0:01', live: true }, /zxdb is not running/);
  refuse('network.create', seed, { name: 'n;x', forward: 'nat', address: '192.168.50.1/24' }, /may only contain letters/);
  refuse('network.create', seed, { name: 'default', forward: 'nat', address: '192.168.50.1/24' }, /already has a libvirt network named "default"/);
  refuse('network.create', seed, { name: 'n2', forward: 'nat', address: '192.168.122.7/24' }, /overlaps 192\.168\.122\.1\/24 of .*network is already in use/);
  refuse(
    'network.create',
    seed,
    { name: 'n2', forward: 'nat', address: '192.168.50.1/24', dhcpRange: ['192.168.51.2-192.168.51.9'] },
    /not inside 192\.168\.50\.1\/24/,
  );
  refuse(
    'network.create',
    seed,
    { name: 'n2', forward: 'nat', address: '192.168.50.1/24', dhcpRange: ['192.168.50.1-192.168.50.9'] },
    /holds the host's own address/,
  );
  refuse(
    'network.create',
    seed,
    { name: 'n2', forward: 'nat', address: '192.168.50.1/24', dhcpHost: ['52:54:00:00:00:01,192.168.50.5', '52:54:00:00:00:01,192.168.50.6'] },
    /two static hosts share the MAC/,
  );
  refuse('network.create', seed, { name: 'n2', forward: 'nat', address: '192.168.50.1/24', bridgeName: 'br9' }, /an interface named br9 already exists/);
  refuse('network.create', seed, { name: 'n2', forward: 'bridge' }, /needs the host bridge/);
  refuse('network.create', bare, { name: 'n2', forward: 'private', dev: 'enp3s1' }, /carries this SSH session/);
  refuse('network.stop', seed, { network: 'default' }, /carries the running VMs c7 .*--force/);
  refuse('network.dhcpHostAdd', seed, { network: 'default', host: '52:54:00:aa:00:09,10.9.9.9' }, /not inside 192\.168\.122\.1\/24/);
  refuse('network.dhcpHostAdd', withStaticHost, { network: 'default', host: '52:54:00:aa:00:09,192.168.122.20' }, /already gives 192\.168\.122\.20/);
  refuse(
    'network.dhcpRangeAdd',
    seed,
    { network: 'default', range: '192.168.122.200-192.168.122.220' },
    /overlaps the range 192\.168\.122\.2-192\.168\.122\.254/,
  );
  refuse('network.dhcpRangeAdd', narrowRange, { network: 'default', range: '10.0.0.1-10.0.0.9' }, /not inside 192\.168\.122\.1\/24/);
  refuse('network.dhcpRangeRemove', seed, { network: 'default', range: '192.168.122.5-192.168.122.9' }, /has no DHCP range/);
  refuse('network.dhcpHostRemove', seed, { network: 'default', mac: '52:54:00:aa:00:09' }, /no static host for/);
});

test('uplink: a gateway off the new subnet is refused up front, named, with nothing planned', () => {
  const up = operation('bridge.uplink')!;
  // Keeping the NIC's gateway 10.231.2.1 with an address on another subnet.
  assert.throws(
    () => planChange(bare, up, { nic: 'enp3s1', bridge: 'br9', address: '10.0.8.2/24' }, 'none'),
    /the gateway 10\.231\.2\.1 is off-link for 10\.0\.8\.2\/24/,
  );
  assert.throws(
    () => planChange(bare, up, { nic: 'enp3s1', bridge: 'br9', address: '10.0.8.2/24', gateway: '10.0.9.1' }, 'none'),
    /the gateway 10\.0\.9\.1 is off-link/,
  );
  assert.doesNotThrow(() => planChange(bare, up, { nic: 'enp3s1', bridge: 'br9', address: '10.0.8.2/24', gateway: '10.0.8.1' }, 'none'));
});

test('names VirtNet did not create are still operated on, quoted', () => {
  const odd: HostModel = {
    ...roomy,
    links: [...roomy.links, { ...tap('br`x`'), kind: 'bridge', portKind: 'bridge' }],
    bridges: [...roomy.bridges, { ...roomy.bridges.at(-1)!, name: 'br`x`' }],
  };
  const { plan } = planChange(odd, operation('bridge.delete')!, { bridge: 'br`x`' }, 'none');
  assert.deepEqual(plan.steps[0]?.argv, ['ip', 'link', 'del', 'dev', 'br`x`']);
  assert.equal(plan.steps[0]?.display, "ip link del dev 'br`x`'");
});

test('settling time comes from the planner: STP on, DHCP behind an STP bridge', () => {
  assert.deepEqual(planChange(roomy, operation('bridge.stp')!, { bridge: 'br7', on: true }, 'none').plan.settle, { stp: true, forwardDelay: 15 });
  const dhcp = planChange(
    { ...seed, info: { ...seed.info, tools: { ...seed.info.tools, dhclient: true } } },
    operation('bridge.address')!,
    { ifname: 'br9', clear: true, dhcp: true },
    'none',
  ).plan.settle;
  assert.equal(dhcp.dhcp, true);
});
