/**
 * Readiness checks: what the host can do for KVM, tap networking and passthrough, each with the
 * reason and, when it fails, how to fix it. Derived from the collector's facts; pure.
 */
import type { Check, PciDevice } from '../model/types';
import type { HostFacts } from './parse-host';
import type { Section } from './sections';
import { firstLine } from '../exec/errors';

const on = (facts: HostFacts, key: string) => facts.get(key) === '1';

export function kvmCheck(facts: HostFacts): Check {
  const vendor = facts.get('cpu.vendor');
  const flag = vendor === 'amd' ? 'AMD-V (svm)' : vendor === 'intel' ? 'VT-x (vmx)' : null;
  if (!on(facts, 'dev.kvm')) {
    return {
      id: 'kvm',
      ok: false,
      detail: flag
        ? `/dev/kvm is missing although the CPU has ${flag}: load the module (modprobe kvm_${vendor})`
        : '/dev/kvm is missing and the CPU shows no vmx/svm flag: enable VT-x/AMD-V in the firmware (or nested virtualisation in the parent hypervisor); guests can only run under slow TCG emulation',
    };
  }
  if (!on(facts, 'dev.kvm.rw')) {
    return { id: 'kvm', ok: false, detail: '/dev/kvm exists but this user cannot open it: add the user to group kvm, or connect as root' };
  }
  return { id: 'kvm', ok: true, detail: `/dev/kvm is present${flag ? ` (${flag})` : ' (CPU flags hidden by the parent hypervisor)'}` };
}

export function tunCheck(facts: HostFacts): Check {
  if (on(facts, 'dev.tun')) {
    const vhost = on(facts, 'dev.vhost_net')
      ? '; /dev/vhost-net present (vhost-net acceleration for virtio)'
      : '; no /dev/vhost-net (modprobe vhost_net for faster virtio-net)';
    return { id: 'tun', ok: true, detail: `/dev/net/tun is present: tap devices work${vhost}` };
  }
  return { id: 'tun', ok: false, detail: '/dev/net/tun is missing: load the tun module (modprobe tun); without it no tap, so no bridged or NAT guest NICs' };
}

export function iommuCheck(facts: HostFacts): Check {
  const groups = Number(facts.get('iommu.groups') ?? '0');
  const cmdline = facts.get('cmdline') ?? '';
  const param = /\b(intel_iommu=on|amd_iommu=on|iommu=pt)\b/.exec(cmdline)?.[0];
  if (groups > 0) {
    return { id: 'iommu', ok: true, detail: `IOMMU on: ${groups} IOMMU groups${param ? ` (${param} on the kernel command line)` : ''}` };
  }
  if (!on(facts, 'pci.bus')) {
    return { id: 'iommu', ok: false, detail: 'no PCI bus visible (a container?): PCI passthrough is impossible here' };
  }
  const want = facts.get('cpu.vendor') === 'amd' ? 'amd_iommu=on iommu=pt' : 'intel_iommu=on iommu=pt';
  return {
    id: 'iommu',
    ok: false,
    detail: `IOMMU off: no IOMMU groups. Enable VT-d/AMD-Vi in the firmware and add "${want}" to the kernel command line (GRUB_CMDLINE_LINUX in /etc/default/grub, then update-grub and reboot)${param ? `; ${param} is set, so the firmware or hardware lacks it` : ''}`,
  };
}

export function vfioCheck(facts: HostFacts): Check {
  if (on(facts, 'vfio.driver')) {
    return { id: 'vfio', ok: true, detail: 'vfio-pci driver is loaded: devices can be bound for passthrough' };
  }
  if (on(facts, 'vfio.module')) {
    return { id: 'vfio', ok: true, detail: 'vfio-pci is available (not loaded yet; libvirt loads it on nodedev-detach, or modprobe vfio-pci)' };
  }
  return { id: 'vfio', ok: false, detail: 'vfio-pci is not available for this kernel: PCI passthrough needs it (kernel option CONFIG_VFIO_PCI)' };
}

/** libvirt reachability from the first virsh run's exit code and stderr. */
export function libvirtCheck(lists: Section | undefined, stderr: string, version: string | null): Check {
  if (!lists) {
    return { id: 'libvirt', ok: false, detail: 'libvirt was not queried' };
  }
  if (lists.rc === 0) {
    return { id: 'libvirt', ok: true, detail: `libvirtd answers${version ? ` (${version})` : ''}` };
  }
  if (lists.rc === 127 || /command not found/.test(stderr)) {
    return { id: 'libvirt', ok: false, detail: 'virsh is not installed: install libvirt-clients (and libvirt-daemon-system for the daemon)' };
  }
  if (lists.rc === 124) {
    return { id: 'libvirt', ok: false, detail: 'libvirtd did not answer within 30 s: it may be hung (systemctl restart libvirtd)' };
  }
  if (/No such file or directory|Connection refused/.test(stderr)) {
    return { id: 'libvirt', ok: false, detail: `libvirtd is not running: start it (systemctl start libvirtd). virsh said: ${lastError(stderr)}` };
  }
  if (/Permission denied|authentication (failed|unavailable)|access denied/i.test(stderr)) {
    return {
      id: 'libvirt',
      ok: false,
      detail: `virsh may not use qemu:///system as this user: connect as root, allow passwordless sudo, or add the user to group libvirt. virsh said: ${lastError(stderr)}`,
    };
  }
  return { id: 'libvirt', ok: false, detail: `virsh failed (exit ${lists.rc}): ${lastError(stderr) || 'no message'}` };
}

function lastError(stderr: string): string {
  const lines = stderr
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
  return lines[lines.length - 1] ?? firstLine(stderr);
}

export function toolChecks(facts: HostFacts): Check[] {
  const has = (t: string) => on(facts, `tool.${t}`);
  const checks: Check[] = [
    has('ip')
      ? { id: 'tool:ip', ok: true, detail: 'ip (iproute2) found' }
      : { id: 'tool:ip', ok: false, detail: 'ip is missing: install iproute2; links, addresses and bridges cannot be read or changed' },
    has('bridge')
      ? { id: 'tool:bridge', ok: true, detail: 'bridge (iproute2) found' }
      : { id: 'tool:bridge', ok: false, detail: 'bridge is missing: install iproute2; bridge port states cannot be read' },
    has('virsh') ? { id: 'tool:virsh', ok: true, detail: 'virsh found' } : { id: 'tool:virsh', ok: false, detail: 'virsh is missing: install libvirt-clients' },
    facts.get('qemu')
      ? { id: 'tool:qemu', ok: true, detail: `QEMU found at ${facts.get('qemu')}` }
      : { id: 'tool:qemu', ok: false, detail: 'no qemu-system-x86_64 or qemu-kvm: install qemu-system-x86 (Debian) or qemu-kvm (RHEL)' },
    has('nft') || has('iptables')
      ? {
          id: 'tool:firewall',
          ok: true,
          detail: `${[has('nft') ? 'nft' : '', has('iptables') ? 'iptables' : ''].filter(Boolean).join(' and ')} found (libvirt NAT and port forwards need one)`,
        }
      : {
          id: 'tool:firewall',
          ok: false,
          detail: 'neither nft nor iptables: libvirt NAT networks and port forwards cannot work; install nftables or iptables',
        },
    has('dnsmasq')
      ? { id: 'tool:dnsmasq', ok: true, detail: 'dnsmasq found (DHCP/DNS for libvirt networks)' }
      : { id: 'tool:dnsmasq', ok: false, detail: 'dnsmasq is missing: libvirt networks get no DHCP; install dnsmasq-base' },
  ];
  const optional = ['brctl', 'nmcli', 'networkctl', 'netplan', 'ifup', 'ethtool', 'lspci', 'virt-install'];
  const present = optional.filter(has);
  checks.push({
    id: 'tools:optional',
    ok: true,
    detail: present.length
      ? `also found: ${present.join(', ')}`
      : 'none of brctl, nmcli, networkctl, netplan, ifup, ethtool, lspci, virt-install found (VirtNet needs none of them)',
  });
  return checks;
}

export function nicModelCheck(models: string[], qemuSection: Section | undefined): Check {
  if (models.length === 0) {
    const why = qemuSection && qemuSection.rc !== 0 ? 'no QEMU binary found' : 'QEMU listed no network devices';
    return { id: 'nic-models', ok: false, detail: `${why}: cannot tell which NIC models guests can use` };
  }
  const virtio = models.some((m) => m.startsWith('virtio-net'));
  const emulated = ['e1000', 'e1000e', 'rtl8139', 'igb', 'vmxnet3'].filter((m) => models.includes(m));
  return {
    id: 'nic-models',
    ok: virtio,
    detail: virtio
      ? `virtio-net (paravirtual, the fast choice) and emulated ${emulated.join(', ') || 'none'} available`
      : `no virtio-net in this QEMU; emulated only: ${emulated.join(', ') || models.join(', ')}`,
  };
}

export function sriovCheck(devices: PciDevice[]): Check {
  const pfs = devices.filter((d) => d.sriov && d.sriov.totalVfs > 0);
  if (pfs.length === 0) {
    return { id: 'sriov', ok: false, detail: 'no SR-IOV capable network device found (sriov_totalvfs): VFs cannot be created here' };
  }
  return {
    id: 'sriov',
    ok: true,
    detail: pfs.map((p) => `${p.address} (${p.netdevs.join(',') || p.driver || 'no driver'}): ${p.sriov?.numVfs}/${p.sriov?.totalVfs} VFs`).join('; '),
  };
}

export function rootCheck(facts: HostFacts, asRoot: boolean): Check {
  return asRoot || facts.get('uid') === '0'
    ? { id: 'root', ok: true, detail: 'inventory read as root' }
    : { id: 'root', ok: false, detail: 'inventory read without root (no passwordless sudo): libvirt may be hidden; changes will ask for the sudo password' };
}
