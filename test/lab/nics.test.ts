/**
 * Lab tier: VM NIC operations (issue 11) through the CLI against a lab host's real libvirtd and a
 * running TCG guest (q35 with spare pcie-root-ports, so NICs hotplug as on a real host):
 *   - `nic attach nicg --network nicsb`: in `domiflist` live and in the definition, its tap on
 *     nicsb's bridge, and the guest's kernel sees the NIC and gets a lease from nicsb on it;
 *   - `nic set ... --link down`: the guest sees no carrier; up again;
 *   - `nic set nicg MAC --network nicsb` on the guest's first NIC: its tap moves to nicsb's bridge
 *     and a new lease comes from nicsb's range;
 *   - a hotplug libvirt refuses (no free root port left) fails the plan with libvirt's reason and
 *     leaves the definition as it was;
 *   - `nic detach`: the guest lets go (PCIe hotplug), gone live and from the definition;
 *   - a stopped domain's model from rtl8139 to virtio: `dumpxml --inactive` shows it.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { onLab } from './cli';
import { guestUp, type Guest } from './guest';
import { labSkipReason, labUp, type LabHost } from './lab';

const skip = labSkipReason();
const opts = { skip: skip ?? false, timeout: 180_000 };
const FIRST = '52:54:00:50:00:0a';
const ADDED = '52:54:00:50:00:0b';
let host: LabHost;
let guest: Guest | undefined;
const cli = (...args: string[]) => onLab(host, '--yes')(...args);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The MACs of the domain's NICs, live or in its definition. */
async function macs(inactive: boolean): Promise<string[]> {
  const out = await host.sh(`virsh -q domiflist nicg ${inactive ? '--inactive' : ''}`);
  return out
    .split('\n')
    .map((l) => l.trim().split(/\s+/).at(-1) ?? '')
    .filter((m) => /^[0-9a-f:]{17}$/.test(m));
}

/** The tap of the guest's NIC with this MAC, and the bridge it hangs on. */
async function tapOf(mac: string): Promise<{ tap: string; bridge: string }> {
  const line = (await host.sh('virsh -q domiflist nicg')).split('\n').find((l) => l.includes(mac)) ?? '';
  const tap = line.trim().split(/\s+/)[0] ?? '';
  const bridge = (await host.sh(`basename "$(readlink /sys/class/net/${tap}/master)" 2>/dev/null || true`)).trim();
  return { tap, bridge };
}

/** The guest's interface with this MAC, once its kernel has it (a hotplug takes a moment). */
async function guestIf(mac: string, present = true): Promise<string> {
  for (let i = 0; i < 60; i++) {
    const r = await guest!.run(`for d in /sys/class/net/*; do [ "$(cat $d/address)" = ${mac} ] && basename $d; done; true`);
    const name = r.output.trim();
    if (present ? name : !name) return name;
    await sleep(500);
  }
  assert.fail(`the guest ${present ? 'never saw' : 'still has'} the NIC ${mac}\n${guest!.tail(20)}`);
}

/** A fresh lease on `ifname`, and the address it got. */
async function lease(ifname: string): Promise<string> {
  const r = await guest!.run(`ip link set ${ifname} up; udhcpc -i ${ifname} -n -q -s /etc/udhcpc.sh -t 10 -T 2 2>&1; ip -4 -o addr show ${ifname}`, 90_000);
  const m = /inet (\d+\.\d+\.\d+\.\d+)\//.exec(r.output);
  assert.ok(m, `no lease on ${ifname}: ${r.output}`);
  return m[1]!;
}

before(
  async () => {
    if (skip) return;
    host = await labUp('nics', 50, { firewall: 'iptables' });
    for (const [name, n] of [
      ['nicsa', 150],
      ['nicsb', 151],
    ] as const) {
      const r = await cli(
        ...['network', 'create', name, '--forward', 'nat', '--bridge-name', `virbr${n}`, '--stp', 'off', '--address', `192.168.${n}.1/24`],
        ...['--dhcp-range', `192.168.${n}.100-192.168.${n}.200`],
      );
      assert.equal(r.code, 0, r.stderr);
    }
    // One spare root port: the first attach takes it, so a second finds none.
    guest = await guestUp(host, 'nicg', [{ mac: FIRST, network: 'nicsa' }], { spareRootPorts: 1 });
    await guest.waitSerial(/virtnet-guest: eth0 bound 192\.168\.150\./, 'a lease on nicsa');
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

test('attach: a virtio NIC on nicsb, live and defined; its tap on virbr151; the guest gets a lease on it', opts, async () => {
  const r = await cli('nic', 'attach', 'nicg', '--network', 'nicsb', '--mac', ADDED);
  assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
  assert.doesNotMatch(r.stderr, /not as planned/);
  assert.ok((await macs(false)).includes(ADDED), 'live');
  assert.ok((await macs(true)).includes(ADDED), 'in the definition');
  assert.equal((await tapOf(ADDED)).bridge, 'virbr151');
  assert.match(
    await host.sh('virsh -q dumpxml --inactive nicg'),
    new RegExp(`<mac address='${ADDED}'/>\\s*<source network='nicsb'/>\\s*<model type='virtio'/>`),
  );
  const ifname = await guestIf(ADDED);
  assert.match(await lease(ifname), /^192\.168\.151\.(1\d\d|200)$/);
});

test("link down: the guest's NIC loses its carrier; up: it has it again", opts, async () => {
  const ifname = await guestIf(ADDED);
  const carrier = async () => (await guest!.run(`cat /sys/class/net/${ifname}/carrier`)).output.trim();
  const down = await cli('nic', 'set', 'nicg', ADDED, '--link', 'down');
  assert.equal(down.code, 0, down.stderr);
  assert.equal(await carrier(), '0');
  assert.match(await host.sh('virsh -q domif-getlink nicg ' + ADDED), /down/);
  const up = await cli('nic', 'set', 'nicg', ADDED, '--link', 'up');
  assert.equal(up.code, 0, up.stderr);
  assert.equal(await carrier(), '1');
});

test('move: the first NIC to nicsb, its tap moves to virbr151 and its new lease comes from nicsb', opts, async () => {
  assert.equal((await tapOf(FIRST)).bridge, 'virbr150');
  const r = await cli('nic', 'set', 'nicg', FIRST, '--network', 'nicsb');
  assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
  assert.doesNotMatch(r.stderr, /not as planned/);
  assert.equal((await tapOf(FIRST)).bridge, 'virbr151', 'the tap moved');
  assert.match(await host.sh('virsh -q dumpxml --inactive nicg'), new RegExp(`<mac address='${FIRST}'/>\\s*<source network='nicsb'/>`), 'and the definition');
  assert.match(await lease(await guestIf(FIRST)), /^192\.168\.151\./);
});

test('a hotplug libvirt refuses (no free root port): the plan fails with its reason, the definition as it was', opts, async () => {
  const def = await host.sh('virsh -q dumpxml --inactive nicg');
  const r = await cli('nic', 'attach', 'nicg', '--network', 'nicsa', '--mac', '52:54:00:50:00:0c');
  assert.notEqual(r.code, 0, r.stdout);
  assert.match(r.stderr, /PCI|slot|hotplug/i, r.stderr);
  assert.equal(await host.sh('virsh -q dumpxml --inactive nicg'), def, 'the definition is unchanged');
  assert.ok(!(await macs(false)).includes('52:54:00:50:00:0c'), 'not in the running guest');
});

test('detach: the guest lets the NIC go; gone live and from the definition', opts, async () => {
  const r = await cli('nic', 'detach', 'nicg', ADDED);
  assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
  assert.doesNotMatch(r.stderr, /not as planned/);
  assert.ok(!(await macs(false)).includes(ADDED), 'live');
  assert.ok(!(await macs(true)).includes(ADDED), 'defined');
  await guestIf(ADDED, false);
});

test("a stopped VM's model from rtl8139 to virtio, in its definition", opts, async () => {
  await host.sh(`cat > /tmp/nicoff.xml <<'EOF'
<domain type='qemu'><name>nicoff</name><memory unit='MiB'>64</memory><os><type arch='x86_64'>hvm</type></os>
<devices><interface type='network'><mac address='52:54:00:50:00:0d'/><source network='nicsa'/><model type='rtl8139'/></interface></devices></domain>
EOF
virsh -q define /tmp/nicoff.xml`);
  try {
    const r = await cli('nic', 'set', 'nicoff', '52:54:00:50:00:0d', '--model', 'virtio');
    assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
    assert.match(r.stdout + r.stderr, /the guest needs the virtio-net driver/);
    assert.match(
      await host.sh('virsh -q dumpxml --inactive nicoff'),
      /<mac address='52:54:00:50:00:0d'\/>\s*<source network='nicsa'\/>\s*<model type='virtio'\/>/,
    );
  } finally {
    await host.sh('virsh -q undefine nicoff; rm -f /tmp/nicoff.xml');
  }
});
