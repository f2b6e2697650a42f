/**
 * Lab tier: edits of libvirt definitions keep what they do not own (issue 15, section 3), through
 * the CLI over real SSH against a real libvirtd:
 *   - one field of a running network carrying DNS hosts, TXT records, portgroups, a static route
 *     and metadata is changed: `virsh net-dumpxml --inactive` differs from before in that one line
 *     only, and the running network's XML is not what the edit started from; the same for a
 *     network of portgroups with VLAN tags (libvirt takes tags only on such networks);
 *   - one field of a NIC with a VLAN tag, a virtual port and a boot order is changed (model, then
 *     link): `virsh dumpxml --inactive` differs in that one line only;
 *   - a running guest's link goes down live and in its definition, and comes back;
 *   - a saved edit whose definition someone changed meanwhile is refused, nothing changed.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { HostModel } from '../../src/core/model/types';
import { onLab } from './cli';
import { labSkipReason, labUp, type LabHost } from './lab';

const skip = labSkipReason();
const opts = { skip: skip ?? false, timeout: 120_000 };
let host: LabHost;
const dir = mkdtempSync(join(tmpdir(), 'virtnet-edit-'));

const RICH_NET = `<network>
  <name>rich</name>
  <metadata>
    <lab:owner xmlns:lab="http://example.org/virtnet-lab">edit test</lab:owner>
  </metadata>
  <forward mode='nat'/>
  <bridge name='virbr42' stp='on' delay='0'/>
  <domain name='rich.test'/>
  <dns>
    <txt name='example' value='example value'/>
    <host ip='192.168.42.5'>
      <hostname>alpha</hostname>
      <hostname>alpha-alias</hostname>
    </host>
  </dns>
  <ip address='192.168.42.1' prefix='24'>
    <dhcp>
      <range start='192.168.42.100' end='192.168.42.200'/>
      <host mac='52:54:00:42:00:05' name='alpha' ip='192.168.42.5'/>
    </dhcp>
  </ip>
  <route address='192.168.142.0' prefix='24' gateway='192.168.42.2' metric='5'/>
  <portgroup name='engineering' default='yes'>
    <bandwidth>
      <inbound average='1000'/>
    </bandwidth>
  </portgroup>
  <portgroup name='sales'/>
</network>
`;

// libvirt takes VLAN tags only on networks whose type carries them (here Open vSwitch): portgroups
// with tags live on their own network, defined but not started (there is no OVS in the lab).
const VLAN_NET = `<network>
  <name>trunks</name>
  <metadata>
    <lab:owner xmlns:lab="http://example.org/virtnet-lab">edit test</lab:owner>
  </metadata>
  <forward mode='bridge'/>
  <bridge name='ovsbr0'/>
  <virtualport type='openvswitch'/>
  <portgroup name='engineering' default='yes'>
    <vlan>
      <tag id='42'/>
    </vlan>
  </portgroup>
  <portgroup name='trunk'>
    <vlan trunk='yes'>
      <tag id='47' nativeMode='untagged'/>
      <tag id='48'/>
    </vlan>
  </portgroup>
</network>
`;

const NIC_MAC = '52:54:00:e1:00:01';
const NIC_VM = `<domain type='qemu'>
  <name>nicvm</name>
  <memory unit='MiB'>64</memory>
  <os><type arch='x86_64' machine='pc'>hvm</type></os>
  <devices>
    <emulator>/usr/bin/qemu-system-x86_64</emulator>
    <interface type='network'>
      <mac address='${NIC_MAC}'/>
      <source network='rich' portgroup='engineering'/>
      <vlan>
        <tag id='42'/>
      </vlan>
      <virtualport type='openvswitch'>
        <parameters interfaceid='09b11c53-8b5c-4eeb-8f00-d84eaa0aaa4f'/>
      </virtualport>
      <model type='rtl8139'/>
      <boot order='1'/>
    </interface>
  </devices>
</domain>
`;

before(
  async () => {
    if (skip) return;
    host = await labUp('edit', 28);
    await host.seed();
    writeFileSync(join(dir, 'rich.xml'), RICH_NET);
    writeFileSync(join(dir, 'nicvm.xml'), NIC_VM);
    writeFileSync(join(dir, 'trunks.xml'), VLAN_NET);
    await sh(`virsh net-define ${dir}/rich.xml && virsh net-start rich && virsh net-define ${dir}/trunks.xml && virsh define ${dir}/nicvm.xml`);
  },
  { timeout: 240_000 },
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

/** The lines only in `a` and only in `b` (a line diff that ignores where they stand). */
function diff(a: string, b: string): { gone: string[]; added: string[] } {
  const count = (text: string) => {
    const m = new Map<string, number>();
    for (const l of text.split('\n')) m.set(l, (m.get(l) ?? 0) + 1);
    return m;
  };
  const ca = count(a);
  const cb = count(b);
  const only = (x: Map<string, number>, y: Map<string, number>) => [...x].flatMap(([l, n]) => Array<string>(Math.max(0, n - (y.get(l) ?? 0))).fill(l.trim()));
  return { gone: only(ca, cb), added: only(cb, ca) };
}

test('a running network with DNS, portgroups, a route and metadata: the MTU edit changes that one line', opts, async () => {
  const before = await sh('virsh net-dumpxml --inactive rich');
  const live = await sh('virsh net-dumpxml rich');
  assert.notEqual(live, before, 'the running network prints more than its definition (the edit must start from the definition)');
  const r = await cli('network', 'edit', 'rich', '--mtu', '9000');
  assert.equal(r.code, 0, r.stderr);
  assert.doesNotMatch(r.stderr, /not as planned|reads back differently/, 'libvirt prints the new definition as VirtNet wrote it');
  assert.match(r.stdout + r.stderr, /is running: libvirt keeps running it as it is until it restarts/);
  const after = await sh('virsh net-dumpxml --inactive rich');
  assert.deepEqual(diff(before, after), { gone: [], added: ["<mtu size='9000'/>"] });
  const r2 = await cli('network', 'edit', 'rich', '--dns-domain', 'other.test');
  assert.equal(r2.code, 0, r2.stderr);
  assert.deepEqual(diff(after, await sh('virsh net-dumpxml --inactive rich')), {
    gone: ["<domain name='rich.test'/>"],
    added: ["<domain name='other.test'/>"],
  });
});

test('a network of portgroups with VLAN tags: an MTU libvirt would refuse there is refused first, nothing changed', opts, async () => {
  // libvirt (9.0 here) takes <mtu> only on networks with a bridge of their own; VirtNet says so
  // up front instead of failing at the define.
  const before = await sh('virsh net-dumpxml --inactive trunks');
  const r = await cli('network', 'edit', 'trunks', '--mtu', '9000');
  assert.equal(r.code, 2, `${r.stdout}\n${r.stderr}`);
  assert.match(r.stderr, /forward mode bridge: libvirt sets an MTU only on networks with a bridge of their own/);
  assert.equal(await sh('virsh net-dumpxml --inactive trunks'), before);
});

test('a NIC with a VLAN tag, a virtual port and a boot order: model, then link, each one line', opts, async () => {
  const before = await sh('virsh dumpxml --inactive nicvm');
  const r = await cli('nic', 'set', 'nicvm', NIC_MAC, '--model', 'virtio');
  assert.equal(r.code, 0, r.stderr);
  assert.doesNotMatch(r.stderr, /not as planned|reads back differently/);
  const mid = await sh('virsh dumpxml --inactive nicvm');
  assert.deepEqual(diff(before, mid), { gone: ["<model type='rtl8139'/>"], added: ["<model type='virtio'/>"] });
  const r2 = await cli('nic', 'set', 'nicvm', NIC_MAC, '--link', 'down');
  assert.equal(r2.code, 0, r2.stderr);
  assert.deepEqual(diff(mid, await sh('virsh dumpxml --inactive nicvm')), { gone: [], added: ["<link state='down'/>"] });
  // The inventory reads it back into the typed fields.
  const inv = await onLab(host)('inventory', '--json');
  const nic = (JSON.parse(inv.stdout) as HostModel).domains.find((d) => d.name === 'nicvm')!.interfaces[0]!;
  assert.deepEqual(
    [nic.model, nic.linkState, nic.vlan?.tags[0]?.id, nic.virtualport?.type, nic.bootOrder, nic.portgroup],
    ['virtio', 'down', 42, 'openvswitch', 1, 'engineering'],
  );
});

test('a running guest: link down live and in its definition, then up again', opts, async () => {
  const mac = '52:54:00:c7:00:01';
  const r = await cli('nic', 'set', 'c7', mac, '--link', 'down');
  assert.equal(r.code, 0, r.stderr);
  assert.doesNotMatch(r.stderr, /not as planned|reads back differently/);
  assert.match(await sh(`virsh domif-getlink c7 ${mac}`), /down/);
  assert.match(await sh('virsh dumpxml --inactive c7'), /<link state='down'\/>/);
  const up = await cli('nic', 'set', 'c7', mac, '--link', 'up');
  assert.equal(up.code, 0, up.stderr);
  assert.match(await sh(`virsh domif-getlink c7 ${mac}`), /up/);
});

test('a saved edit whose definition changed meanwhile is refused, and nothing changes', opts, async () => {
  const file = join(dir, 'mtu.json');
  const saved = await cli('network', 'edit', 'rich', '--mtu', '1400', '--save-plan', file);
  assert.equal(saved.code, 0, saved.stderr);
  // Someone else edits the definition (as virsh net-edit would).
  await sh(
    "virsh net-dumpxml --inactive rich | sed \"s/<domain name='other.test'\\/>/<domain name='third.test'\\/>/\" > /tmp/virtnet-edit-rich.xml && virsh net-define /tmp/virtnet-edit-rich.xml && rm -f /tmp/virtnet-edit-rich.xml",
  );
  const changed = await sh('virsh net-dumpxml --inactive rich');
  const r = await onLab(host, '--yes')('apply', file);
  assert.equal(r.code, 4, `${r.stdout}\n${r.stderr}`);
  assert.match(r.stderr, /the definition of network rich changed since it was read/);
  assert.equal(await sh('virsh net-dumpxml --inactive rich'), changed, 'nothing changed');
});

test("stopping default under a running guest needs --force; starting it again puts the guest's tap back on virbr0", opts, async () => {
  const refused = await cli('network', 'stop', 'default');
  assert.equal(refused.code, 2, refused.stderr);
  assert.match(refused.stderr, /carries the running VMs c7/);
  const tap = (await sh('virsh domiflist c7 | awk \'$3 == "default" { print $1 }\'')).trim();
  assert.match(tap, /^vnet\d+$/);
  const stop = await cli('network', 'stop', 'default', '--force');
  assert.equal(stop.code, 0, stop.stderr);
  assert.doesNotMatch(await sh(`ip -o link show dev ${tap}`), /master/, 'libvirt leaves the tap without a bridge');
  const start = await cli('network', 'start', 'default');
  assert.equal(start.code, 0, `${start.stdout}\n${start.stderr}`);
  assert.match(start.stdout + start.stderr, new RegExp(`re-attaches ${tap} \\(c7\\)`));
  assert.doesNotMatch(start.stderr, /not as planned|reads back differently/);
  assert.match(await sh(`ip -o link show dev ${tap}`), /master virbr0/);
  // And the guest answers the host on it again (its address is the one it leased before).
  const ip = /(192\.168\.122\.\d+)/.exec(await sh('virsh net-dhcp-leases default'))?.[1];
  assert.ok(ip, 'c7 has a lease');
  // virbr0 runs STP: a port that joins listens and learns for twice the forward delay (the
  // kernel's minimum is 2 s) before it forwards.
  const ping = await host.exec(['sh', '-c', `for i in $(seq 20); do busybox ping -c 1 -W 1 ${ip} >/dev/null && exit 0; sleep 1; done; exit 1`]);
  assert.equal(ping.code, 0, `the host reaches c7 at ${ip} again`);
});

test('redefine default with a DNS domain and --restart under a running guest: the diff previewed, the tap back on virbr0, then back again', opts, async () => {
  const old = await sh('virsh net-dumpxml --inactive default');
  const edited = old.replace(/(\n\s*<mac [^\n]*\/>\n)/, "$1  <domain name='redef.test'/>\n");
  assert.notEqual(edited, old, 'the test inserted a line');
  const file = join(dir, 'default-redef.xml');
  writeFileSync(file, edited);
  // A new name is a new network: refused, nothing runs.
  const renamed = join(dir, 'renamed.xml');
  writeFileSync(renamed, edited.replace('<name>default</name>', '<name>other</name>'));
  const refused = await cli('network', 'redefine', 'default', '--file', renamed);
  assert.equal(refused.code, 2, refused.stderr);
  assert.match(refused.stderr, /named "other", not default: a new name is a new network/);

  const dry = await onLab(host)('network', 'redefine', 'default', '--file', file, '--restart', '--dry-run');
  assert.equal(dry.code, 0, dry.stderr);
  assert.match(dry.stdout, /\+ {3}<domain name='redef\.test'\/>/, 'the preview shows the added line as a diff');
  assert.match(dry.stdout, /restarting default takes the links of c7 down/);
  const tap = (await sh('virsh domiflist c7 | awk \'$3 == "default" { print $1 }\'')).trim();
  const r = await cli('network', 'redefine', 'default', '--file', file, '--restart');
  assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
  assert.doesNotMatch(r.stderr, /not as planned|reads back differently/);
  assert.equal(await sh('virsh net-dumpxml --inactive default'), edited, 'libvirt holds the new definition as written');
  // Running on it now: dnsmasq serves the domain, and c7's tap is back on the new virbr0.
  assert.match(await sh('cat /var/lib/libvirt/dnsmasq/default.conf'), /^domain=redef\.test$/m);
  assert.match(await sh(`ip -o link show dev ${tap}`), /master virbr0/);
  writeFileSync(file, old);
  const back = await cli('network', 'redefine', 'default', '--file', file, '--restart');
  assert.equal(back.code, 0, `${back.stdout}\n${back.stderr}`);
  assert.equal(await sh('virsh net-dumpxml --inactive default'), old);
  assert.match(await sh(`ip -o link show dev ${tap}`), /master virbr0/);
});
