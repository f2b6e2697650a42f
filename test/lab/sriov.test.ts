/**
 * Lab tier, nested KVM host: `virtnet inventory` over real SSH against a TCG guest that is a KVM
 * host with a real SR-IOV NIC (QEMU's Intel 82576, the guest kernel's igb/igbvf) behind an
 * emulated VT-d IOMMU with interrupt remapping, checked against the guest's own sysfs. The guest
 * boots once for the whole file, with libvirt's nftables firewall backend, whose NAT networks the
 * outer machine's kernel cannot start (no act_csum): so VirtNet's port forwards on that backend are
 * tested here too, with real traffic.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { after, before, test, type TestContext } from 'node:test';
import type { HostModel, PciDevice } from '../../src/core/model/types';
import { CLI, onLab } from './cli';
import { kvmHostDown, kvmHostSkipReason, kvmHostUp, type KvmHost } from './kvmhost';

const skip = kvmHostSkipReason();
// Where QEMU's slots put the PF (behind the pcie-root-port at 00:1c.0) on every boot.
const PF = '0000:01:00.0';
const SYSFS_PF = `/sys/bus/pci/devices/${PF}`;

let host: KvmHost;

before(
  async () => {
    if (skip) return;
    assert.ok(existsSync(CLI), `${CLI} is missing: run npm run build first`);
    host = await kvmHostUp('sriov', { firewall: 'nftables' });
  },
  { timeout: 300_000 },
);

after(
  async () => {
    // Also after a before() that timed out while vm.sh was still booting.
    if (!skip) await (host ? host.down() : kvmHostDown('sriov'));
  },
  { timeout: 60_000 },
);

async function inventory(t: TestContext): Promise<HostModel> {
  const r = await onLab(host)('inventory', '--json');
  assert.equal(r.code, 0, `inventory failed: ${r.stderr}`);
  const model = JSON.parse(r.stdout) as HostModel;
  t.diagnostic(`inventory: ${r.ms} ms (collector ${model.collectMs} ms on the host)`);
  return model;
}

function check(model: HostModel, id: string) {
  const c = model.checks.find((x) => x.id === id);
  assert.ok(c, `check ${id} is in the inventory`);
  return c;
}

function pf(model: HostModel): PciDevice {
  const d = model.pciDevices.find((p) => p.address === PF);
  assert.ok(d, `the PF ${PF} is among ${model.pciDevices.map((p) => p.address).join(', ')}`);
  return d;
}

/** Sets sriov_numvfs and waits until the VFs are there with igbvf bound and a netdev each (or all gone). */
async function setVfs(n: number): Promise<void> {
  await host.sh(`
    set -e
    echo ${n} > ${SYSFS_PF}/sriov_numvfs
    udevadm settle --timeout=30
    for i in $(seq 300); do
      ready=0
      for v in ${SYSFS_PF}/virtfn*; do
        [ -e "$v/driver" ] && ls "$v/net" >/dev/null 2>&1 && ready=$((ready + 1))
      done
      [ "$ready" = ${n} ] && [ "$(ls -d ${SYSFS_PF}/virtfn* 2>/dev/null | wc -l)" = ${n} ] && exit 0
      sleep 0.1
    done
    echo "VFs not ready: $(ls -l ${SYSFS_PF}/ | grep virtfn)" >&2
    exit 1
  `);
}

test('inventory: a KVM host with VT-d on (intel_iommu=on iommu=pt), vfio-pci and nested KVM', { skip: skip ?? false }, async (t) => {
  t.diagnostic(`boot: ssh after ${host.boot.ssh} s, libvirtd after ${host.boot.libvirt} s (127.0.0.1:${host.port})`);
  const model = await inventory(t);
  assert.equal(model.info.hostname, 'vnl-sriov');
  assert.match(model.info.cmdline ?? '', /(^| )intel_iommu=on( |$)/);
  assert.match(model.info.cmdline ?? '', /(^| )iommu=pt( |$)/);
  const groups = Number((await host.sh('ls /sys/kernel/iommu_groups | wc -l')).trim());
  assert.ok(groups >= 2, `the guest has IOMMU groups (${groups})`);
  const iommu = check(model, 'iommu');
  assert.equal(iommu.ok, true, iommu.detail);
  assert.equal(iommu.detail, `IOMMU on: ${groups} IOMMU groups (intel_iommu=on on the kernel command line)`);
  const vfio = check(model, 'vfio');
  assert.equal(vfio.ok, true, vfio.detail);
  assert.match(vfio.detail, /vfio-pci driver is loaded/);
  const kvm = check(model, 'kvm');
  assert.equal(kvm.ok, true, kvm.detail);
  assert.equal(check(model, 'libvirt').ok, true);
  assert.ok(model.info.nicModels.includes('igb'), `the nested host's QEMU offers igb: ${model.info.nicModels.join(' ')}`);
});

test("the IOMMU remaps interrupts (x2apic mode), the PF's MSI-X vectors included", { skip: skip ?? false }, async () => {
  // VirtNet's model has no field for interrupt remapping: this is the rig's own guarantee, from
  // the guest kernel (IR bit 3 of the DMAR unit's extended capabilities, and the irq domains).
  const out = await host.sh(`
    echo "ecap=$(cat /sys/class/iommu/dmar0/intel-iommu/ecap)"
    dmesg | grep -o 'Enabled IRQ remapping in [a-z0-9]* mode' || true
    pfnet=$(ls ${SYSFS_PF}/net)
    grep -E " $pfnet(-|$)" /proc/interrupts
  `);
  const ecap = /^ecap=([0-9a-f]+)$/m.exec(out)?.[1];
  assert.ok(ecap, out);
  assert.equal((BigInt(`0x${ecap}`) >> 3n) & 1n, 1n, `interrupt remapping in ecap ${ecap}`);
  assert.match(out, /Enabled IRQ remapping in x2apic mode/);
  const vectors = out.split('\n').filter((l) => /^\s*\d+:/.test(l));
  assert.ok(vectors.length >= 2, `the PF has MSI-X vectors:\n${out}`);
  for (const v of vectors) assert.match(v, /IR-PCI-MSI/, `remapped: ${v}`);
});

test('inventory: the PF is an 82576 on igb, 7 VFs possible, none made', { skip: skip ?? false }, async (t) => {
  const truth = await host.sh(`basename "$(readlink ${SYSFS_PF}/iommu_group)"; ls ${SYSFS_PF}/net`);
  const [group, netdev] = truth.trim().split('\n');
  const model = await inventory(t);
  const d = pf(model);
  assert.equal(d.vendorId, '8086');
  assert.equal(d.deviceId, '10c9');
  assert.equal(d.class, '0x020000');
  assert.equal(d.driver, 'igb');
  assert.deepEqual(d.sriov, { totalVfs: 7, numVfs: 0 });
  assert.deepEqual(d.vfs, []);
  assert.equal(d.physfn, null);
  assert.equal(d.iommuGroup, Number(group));
  assert.deepEqual(d.netdevs, [netdev]);
  assert.equal(model.links.find((l) => l.name === netdev)?.portKind, 'physical');
  assert.deepEqual(
    model.pciDevices.filter((p) => p.physfn !== null).map((p) => p.address),
    [],
    'no VFs yet',
  );
  const sriov = check(model, 'sriov');
  assert.equal(sriov.ok, true);
  assert.equal(sriov.detail, `${PF} (${netdev}): 0/7 VFs`);
});

test('3 VFs made by hand (sysfs): each on igbvf, in its own IOMMU group, mapped to the PF', { skip: skip ?? false }, async (t) => {
  await setVfs(3);
  // The truth, from the PF's virtfnN links and each VF's own physfn link.
  const lines = (
    await host.sh(`
      for i in 0 1 2; do
        v=$(readlink -f ${SYSFS_PF}/virtfn$i)
        echo "$i $(basename "$v") $(basename "$(readlink "$v/iommu_group")") $(basename "$(readlink -f "$v/physfn")") $(ls "$v/net")"
      done
    `)
  )
    .trim()
    .split('\n')
    .map((l) => l.split(' '));
  assert.equal(lines.length, 3);
  const model = await inventory(t);
  const d = pf(model);
  assert.deepEqual(d.sriov, { totalVfs: 7, numVfs: 3 });
  assert.deepEqual(
    d.vfs,
    lines.map(([, addr]) => addr),
    'PF → VF map in virtfn order',
  );
  // The 82576's VF offset and stride: 01:10.0, 01:10.2, 01:10.4.
  assert.deepEqual(d.vfs, ['0000:01:10.0', '0000:01:10.2', '0000:01:10.4']);
  const groups = new Set<number>();
  for (const [, addr, group, physfn, netdev] of lines) {
    const vf = model.pciDevices.find((p) => p.address === addr);
    assert.ok(vf, `VF ${addr} in the inventory`);
    assert.equal(physfn, PF, `sysfs: ${addr}/physfn`);
    assert.equal(vf.physfn, PF, `VF → PF for ${addr}`);
    assert.equal(vf.vendorId, '8086');
    assert.equal(vf.deviceId, '10ca');
    assert.equal(vf.driver, 'igbvf');
    assert.equal(vf.sriov, null);
    assert.deepEqual(vf.vfs, []);
    assert.equal(vf.iommuGroup, Number(group), `IOMMU group of ${addr}`);
    assert.deepEqual(vf.netdevs, [netdev]);
    assert.equal(model.links.find((l) => l.name === netdev)?.portKind, 'vf', `${netdev} is a VF port`);
    groups.add(Number(group));
  }
  assert.equal(groups.size, 3, 'one IOMMU group per VF');
  assert.ok(!groups.has(d.iommuGroup ?? -1), "no VF shares the PF's group");
  // Alone in its group: nothing else of the inventory's devices is in it.
  for (const g of groups) {
    assert.equal(model.pciDevices.filter((p) => p.iommuGroup === g).length, 1, `group ${g} holds one device`);
  }
  assert.equal(check(model, 'sriov').detail, `${PF} (${d.netdevs[0]}): 3/7 VFs`);
});

test('back to 0 VFs: the inventory loses them', { skip: skip ?? false }, async (t) => {
  await setVfs(0);
  const model = await inventory(t);
  const d = pf(model);
  assert.deepEqual(d.sriov, { totalVfs: 7, numVfs: 0 });
  assert.deepEqual(d.vfs, []);
  assert.deepEqual(
    model.pciDevices.filter((p) => p.physfn !== null).map((p) => p.address),
    [],
  );
  assert.deepEqual(
    model.links.filter((l) => l.portKind === 'vf').map((l) => l.name),
    [],
  );
});

test('a libvirt NAT network with DHCP starts under the nftables backend; its masquerade is in nft', { skip: skip ?? false }, async (t) => {
  const xml = `<network>
  <name>vnlnat</name>
  <forward mode='nat'/>
  <bridge name='virbr7' stp='off' delay='0'/>
  <ip address='192.168.150.1' netmask='255.255.255.0'>
    <dhcp><range start='192.168.150.100' end='192.168.150.199'/></dhcp>
  </ip>
</network>`;
  assert.match(await host.sh('grep -E "^firewall_backend" /etc/libvirt/network.conf'), /^firewall_backend = "nftables"$/m);
  const start = await host.exec(['sh', '-c', `printf '%s' "$1" > /tmp/vnlnat.xml && virsh net-define /tmp/vnlnat.xml && virsh net-start vnlnat`, 'sh', xml]);
  try {
    assert.equal(start.code, 0, `net-start under nftables failed: ${start.stderr}`);
    const nft = await host.sh('nft list table ip libvirt_network');
    assert.match(nft, /ip saddr 192\.168\.150\.0\/24 ip daddr != 192\.168\.150\.0\/24 counter packets \d+ bytes \d+ masquerade\n/);
    assert.match(nft, /type nat hook postrouting/);
    // What the outer kernel lacks: libvirt fills DHCP replies' checksums with tc's csum action.
    assert.match(await host.sh('tc filter show dev virbr7'), /action order 1: csum \(iph, udp\)/);
    // A real DHCP client on the network's bridge, from a namespace inside the nested host.
    const lease = await host.sh(`
      set -e
      ip netns add vnldhcp
      ip link add vnlc0 type veth peer name eth0 netns vnldhcp
      ip link set vnlc0 master virbr7 up
      ip -n vnldhcp link set eth0 up
      ip netns exec vnldhcp busybox udhcpc -i eth0 -n -q -t 10 -T 1 -s /bin/true -x hostname:vnlc1 2>&1
      ip -n vnldhcp -br link show eth0
    `);
    assert.match(lease, /lease of 192\.168\.150\.1\d\d obtained from 192\.168\.150\.1/);
    const ip = /lease of (\S+)/.exec(lease)?.[1];
    const mac = /eth0\S*\s+\S+\s+([0-9a-f:]{17})/.exec(lease)?.[1];
    assert.ok(ip && mac, lease);
    const model = await inventory(t);
    const net = model.networks.find((n) => n.name === 'vnlnat');
    assert.ok(net, 'vnlnat in the inventory');
    assert.equal(net.active, true);
    assert.equal(net.forwardMode, 'nat');
    assert.equal(net.bridge, 'virbr7');
    assert.deepEqual(
      net.leases.map((l) => [l.mac, l.ip, l.hostname]),
      [[mac, ip, 'vnlc1']],
    );
    assert.deepEqual(model.bridges.find((b) => b.name === 'virbr7')?.addresses, ['192.168.150.1/24']);
  } finally {
    await host.exec(['sh', '-c', 'ip netns del vnldhcp 2>/dev/null; virsh net-destroy vnlnat; virsh net-undefine vnlnat']);
  }
  assert.doesNotMatch(await host.sh('nft list table ip libvirt_network 2>/dev/null || true'), /192\.168\.150\./, 'destroyed: its rules are gone');
});

/**
 * Port forwards on libvirt's nftables backend, with real traffic (the outer machine's kernel cannot
 * start such a network). The guest is a stand-in: a defined domain gives the forward its NIC (a
 * TCG guest inside this TCG host would take minutes to boot), and a namespace on the network's
 * bridge with that NIC's MAC takes its pinned address by DHCP and serves TCP; a second namespace
 * is the LAN, connecting to the host's address on it.
 */
test(
  "nftables backend: a forward reaches the guest from the LAN; a network restart without hooks puts libvirt's reject first, forward list says so, reapply mends it; with libvirtd restarted the network hook does; removal leaves nft as it was",
  { skip: skip ?? false },
  async (t) => {
    const MAC = '52:54:00:60:00:0a';
    const cli = (...a: string[]) => onLab(host, '--yes')(...a);
    const ruleset = async () => (await host.sh('nft list ruleset')).replace(/counter packets \d+ bytes \d+/g, 'counter').replace(/ # handle \d+/g, '');
    const created = await cli(
      ...['network', 'create', 'fwn', '--forward', 'nat', '--bridge-name', 'virbr60', '--stp', 'off', '--address', '192.168.160.1/24'],
      ...['--dhcp-range', '192.168.160.100-192.168.160.200'],
    );
    assert.equal(created.code, 0, created.stderr);
    const domain = `<domain type='qemu'><name>fwvm</name><memory unit='MiB'>64</memory><os><type arch='x86_64'>hvm</type></os><devices><interface type='network'><mac address='${MAC}'/><source network='fwn'/><model type='virtio'/></interface></devices></domain>`;
    await host.exec(['sh', '-c', 'printf "%s" "$1" > /tmp/fwvm.xml && virsh -q define /tmp/fwvm.xml', 'sh', domain]);
    const pristine = await ruleset();
    try {
      const added = await cli('forward', 'add', 'fwvm', '19922:22');
      assert.equal(added.code, 0, `${added.stdout}\n${added.stderr}`);
      assert.doesNotMatch(added.stderr, /not as planned/);
      const ip = /fwvm has no lease: (\S+) becomes its static DHCP host/.exec(added.stdout + added.stderr)?.[1];
      assert.ok(ip, added.stdout + added.stderr);
      const table = await host.sh('nft list chain ip libvirt_network guest_input');
      assert.ok(table.indexOf('virtnet-forward:fwvm') < table.indexOf('reject'), `VirtNet's accept comes first:\n${table}`);
      // The stand-in guest (its MAC, its pinned address by DHCP, port 22 answering) and the LAN.
      await host.sh(`
      set -e
      ip netns add fwg; ip link add fwgh type veth peer name eth0 netns fwg
      ip link set fwgh master virbr60 up
      ip -n fwg link set eth0 address ${MAC} up
      ip netns exec fwg busybox udhcpc -i eth0 -n -q -t 10 -T 1 -s /bin/true >/dev/null 2>&1 || true
      ip -n fwg addr add ${ip}/24 dev eth0; ip -n fwg route add default via 192.168.160.1
      printf '#!/bin/sh\\necho virtnet-nft-hello\\n' > /tmp/fwhello; chmod +x /tmp/fwhello
      ip netns exec fwg sh -c 'busybox nc -ll -p 22 -e /tmp/fwhello </dev/null >/dev/null 2>&1 &'
      ip netns add fwlan; ip link add fwl type veth peer name eth0 netns fwlan
      ip addr add 10.99.0.1/24 dev fwl; ip link set fwl up
      ip -n fwlan addr add 10.99.0.2/24 dev eth0; ip -n fwlan link set eth0 up
    `);
      const hello = async () => (await host.exec(['sh', '-c', 'ip netns exec fwlan busybox nc -w 3 10.99.0.1 19922 </dev/null; true'])).stdout;
      let got = '';
      for (let i = 0; i < 20 && !got.includes('virtnet-nft-hello'); i++) {
        got = await hello();
        if (!got.includes('virtnet-nft-hello')) await new Promise((r) => setTimeout(r, 500));
      }
      assert.match(got, /virtnet-nft-hello/, 'the LAN reaches the guest through the host');
      // libvirtd started before VirtNet's hooks existed (no systemd here): a network restart runs
      // none, and libvirt's rules come back above VirtNet's accept.
      await host.sh('virsh -q net-destroy fwn && virsh -q net-start fwn && ip link set fwgh master virbr60');
      assert.doesNotMatch(await hello(), /virtnet-nft-hello/, "libvirt's reject shadows the forward now");
      const list = await onLab(host)('forward', 'list');
      const rebuilt = await host.sh('nft list chain ip libvirt_network guest_input');
      assert.match(list.stdout, /NOT IN FORCE: tcp 19922: no accept ahead of libvirt's reject in guest_input/, `${list.stdout}\n${rebuilt}`);
      t.diagnostic(`guest_input after the restart:\n${rebuilt}`);
      const re = await cli('forward', 'reapply');
      assert.equal(re.code, 0, `${re.stdout}\n${re.stderr}`);
      assert.doesNotMatch(re.stderr, /not as planned/);
      assert.match(await hello(), /virtnet-nft-hello/, 'reapplied, the LAN reaches it again');
      // libvirtd restarted (by its pid; no systemd here) finds VirtNet's hooks now: a network restart
      // runs the network hook, which puts VirtNet's accept back above libvirt's reject by itself.
      await host.sh(`
        kill "$(cat /run/libvirtd.pid)"; for i in $(seq 1 100); do [ -e "/proc/$(cat /run/libvirtd.pid 2>/dev/null)" ] || break; sleep 0.2; done
        env -i PATH="$PATH" LANG=C.UTF-8 libvirtd -d
        for i in $(seq 1 150); do virsh -q version >/dev/null 2>&1 && break; sleep 0.2; done
      `);
      const seen = JSON.parse((await onLab(host)('inventory', '--json')).stdout) as HostModel;
      assert.equal(seen.libvirtHooks?.network.seen, true, 'libvirtd saw the network hook at its start');
      await host.sh('virsh -q net-destroy fwn && virsh -q net-start fwn && ip link set fwgh master virbr60');
      let again = '';
      for (let i = 0; i < 20 && !again.includes('virtnet-nft-hello'); i++) {
        again = await hello();
        if (!again.includes('virtnet-nft-hello')) await new Promise((r) => setTimeout(r, 500));
      }
      assert.match(again, /virtnet-nft-hello/, 'after a network restart with the hook live, the forward holds by itself');
      assert.doesNotMatch((await onLab(host)('forward', 'list')).stdout, /NOT IN FORCE/);
      const rm = await cli('forward', 'remove', 'fwvm', '19922');
      assert.equal(rm.code, 0, rm.stderr);
      assert.equal(await ruleset(), pristine, 'nft as before the forward (counters and handles aside)');
    } finally {
      await host.exec([
        'sh',
        '-c',
        'ip netns del fwg; ip netns del fwlan; ip link del fwl; virsh -q undefine fwvm; virsh -q net-destroy fwn; virsh -q net-undefine fwn',
      ]);
    }
  },
);
