/**
 * New-VM command lines for a chosen NIC setup, as the guide writes them by hand: a complete
 * `virt-install` line that runs as it is (a diskless VM booting with --import; the user edits
 * name, memory and disk), the raw QEMU line with the commands it needs first (a tap of its own on
 * the bridge), and libvirt's `<interface>` or `<hostdev>` XML. Every value is checked here; the
 * lines are argv lists, quoted only where they are shown. What the host lacks for a setup (a
 * bridge, a free tap name, a device bound to vfio-pci) is said beside the lines.
 */
import { isVirtioModel } from './model/queries';
import type { HostModel } from './model/types';
import { DIRECT_MODES, freeMac, interfaceXml, type DirectMode } from './ops/libvirt/nicAttach';
import { shJoin } from './exec/quote';
import { checkIfName, checkMac, checkNewName, checkNicModelName } from './validate';

export interface HostFwd {
  proto: 'tcp' | 'udp';
  host: number;
  guest: number;
}

export type CmdlineNic =
  | { type: 'network'; network: string }
  | { type: 'bridge'; bridge: string }
  | { type: 'direct'; dev: string; mode: DirectMode }
  | { type: 'user'; passt: boolean; forwards: HostFwd[] }
  | { type: 'pci'; address: string }
  | { type: 'vf'; address: string }
  | { type: 'none' };

export interface CmdlineIntent {
  nic: CmdlineNic;
  /** The new VM's name (virt-install); default `newvm`. */
  name?: string;
  model?: string;
  mac?: string;
  memoryMiB?: number;
  /** Raw QEMU on a bridge or network: the tap it opens (created by the setup commands). */
  tap?: string;
}

export interface Cmdlines {
  virtInstall: string[];
  /** Run before `qemu` (as root): a tap of its own on the bridge. */
  qemuSetup: string[][];
  /** null: raw QEMU cannot take this setup from a command line alone (said in `notes`). */
  qemu: string[] | null;
  xml: string;
  /** What the host lacks for this setup now, one line each. */
  problems: string[];
  /** What the lines mean for the user (macvtap and the host, the emulated model). */
  notes: string[];
}

export class CmdlineInputError extends Error {
  constructor(readonly problems: string[]) {
    super(problems.join('; '));
  }
}

const PCI = /^(?:([0-9a-f]{4}):)?([0-9a-f]{2}):([0-9a-f]{2})\.([0-7])$/;

/** `0000:03:00.3` from `03:00.3` or `0000:03:00.3`; null when it is not a PCI address. */
function pciAddress(text: string): { full: string; parts: [string, string, string, string] } | null {
  const m = PCI.exec(text.toLowerCase());
  if (!m) return null;
  const parts: [string, string, string, string] = [m[1] ?? '0000', m[2]!, m[3]!, m[4]!];
  return { full: `${parts[0]}:${parts[1]}:${parts[2]}.${parts[3]}`, parts };
}

/** QEMU's device for a libvirt model name. */
function qemuDevice(model: string): string {
  return isVirtioModel(model) ? 'virtio-net-pci' : model;
}

export function vmCmdlines(model: HostModel, i: CmdlineIntent): Cmdlines {
  const bad: string[] = [];
  const name = i.name ?? 'newvm';
  const nameBad = checkNewName(name, 'VM name', false);
  if (nameBad) bad.push(nameBad);
  const nicModel = i.model ?? 'virtio';
  const modelBad = checkNicModelName(nicModel);
  if (modelBad) bad.push(modelBad);
  const mem = i.memoryMiB ?? 1024;
  if (!Number.isInteger(mem) || mem < 64 || mem > 1 << 22) bad.push(`memory ${mem} MiB is not between 64 MiB and 4 TiB`);
  const mac = (i.mac ?? freeMac(model, name)).toLowerCase();
  const macBad = checkMac(mac);
  if (macBad) bad.push(macBad);
  const tap = i.tap ?? `vn-${name}`.slice(0, 15);
  const nic = i.nic;
  // Each goes into a comma-separated virt-install option: a name must be one plain word.
  const wordBad =
    nic.type === 'network'
      ? checkNewName(nic.network, 'network name', false)
      : nic.type === 'bridge'
        ? checkIfName(nic.bridge)
        : nic.type === 'direct'
          ? checkIfName(nic.dev)
          : null;
  if (wordBad) bad.push(wordBad);
  if ((nic.type === 'network' || nic.type === 'bridge') && checkIfName(tap)) bad.push(checkIfName(tap)!);
  if (nic.type === 'direct' && !(DIRECT_MODES as readonly string[]).includes(nic.mode))
    bad.push(`"${nic.mode}" is not a macvtap mode (${DIRECT_MODES.join(', ')})`);
  const pci = nic.type === 'pci' || nic.type === 'vf' ? pciAddress(nic.address) : null;
  if ((nic.type === 'pci' || nic.type === 'vf') && !pci) bad.push(`"${nic.address}" is not a PCI address (0000:03:00.3 or 03:00.3)`);
  if (nic.type === 'user')
    for (const f of nic.forwards) for (const p of [f.host, f.guest]) if (!Number.isInteger(p) || p < 1 || p > 65535) bad.push(`${p} is not a port (1-65535)`);
  if (bad.length) throw new CmdlineInputError(bad);

  const problems: string[] = [];
  const notes: string[] = [];
  const host = model.info.hostname;
  const base = [
    'virt-install',
    '--name',
    name,
    '--memory',
    String(mem),
    '--vcpus',
    '2',
    '--osinfo',
    'generic',
    '--disk',
    'none',
    '--import',
    '--noautoconsole',
  ];
  const nicOpts = `model.type=${nicModel},mac.address=${mac}`;
  const qemuBase = [
    'qemu-system-x86_64',
    '-machine',
    'q35',
    '-accel',
    'kvm',
    '-accel',
    'tcg',
    '-m',
    String(mem),
    '-nodefaults',
    '-nographic',
    '-serial',
    'mon:stdio',
  ];
  const device = `${qemuDevice(nicModel)},netdev=n0,mac=${mac}`;
  let virtInstall: string[];
  let qemu: string[] | null;
  const qemuSetup: string[][] = [];
  let xml: string;
  const tapOn = (bridge: string) => {
    if (model.links.some((l) => l.name === tap)) problems.push(`${host} has an interface ${tap} already: give another tap name`);
    qemuSetup.push(['ip', 'tuntap', 'add', 'dev', tap, 'mode', 'tap'], ['ip', 'link', 'set', 'dev', tap, 'master', bridge, 'up']);
    // vhost=on fails outright where /dev/vhost-net is missing; QEMU's default then is off anyway.
    const vhost = isVirtioModel(nicModel) && model.info.vhostNet ? ',vhost=on' : '';
    if (isVirtioModel(nicModel) && !model.info.vhostNet)
      notes.push('no /dev/vhost-net on the host: the tap runs without vhost-net (modprobe vhost_net, then add vhost=on)');
    return [...qemuBase, '-netdev', `tap,id=n0,ifname=${tap},script=no,downscript=no${vhost}`, '-device', device];
  };
  switch (nic.type) {
    case 'network': {
      const net = model.networks.find((n) => n.name === nic.network);
      if (!net) problems.push(`${host} has no libvirt network ${nic.network}`);
      else if (!net.active) problems.push(`network ${nic.network} is not running: start it first`);
      virtInstall = [...base, '--network', `network=${nic.network},${nicOpts}`];
      const bridge = net?.bridge ?? null;
      qemu = bridge ? tapOn(bridge) : null;
      if (!bridge) notes.push(`raw QEMU: network ${nic.network} has no bridge of its own to put a tap on`);
      else
        notes.push(
          `raw QEMU joins ${nic.network} through its bridge ${bridge}: the guest gets a lease there, but libvirt does not count it as the network's guest`,
        );
      xml = interfaceXml({ type: 'network', network: nic.network }, mac, nicModel, undefined);
      break;
    }
    case 'bridge':
      if (!model.bridges.some((b) => b.name === nic.bridge)) problems.push(`${host} has no bridge ${nic.bridge}`);
      virtInstall = [...base, '--network', `bridge=${nic.bridge},${nicOpts}`];
      qemu = tapOn(nic.bridge);
      notes.push(
        `raw QEMU without root: -netdev bridge,id=n0,br=${nic.bridge} instead, with "allow ${nic.bridge}" in /etc/qemu/bridge.conf for qemu-bridge-helper (not checked here)`,
      );
      xml = interfaceXml({ type: 'bridge', bridge: nic.bridge }, mac, nicModel, undefined);
      break;
    case 'direct': {
      const link = model.links.find((l) => l.name === nic.dev);
      if (!link) problems.push(`${host} has no interface ${nic.dev}`);
      else if (link.master) problems.push(`${nic.dev} is a port of ${link.master}: macvtap needs a NIC no bridge holds`);
      virtInstall = [...base, '--network', `type=direct,source=${nic.dev},source.mode=${nic.mode},${nicOpts}`];
      qemu = null;
      notes.push(`macvtap: the guest is on ${nic.dev}'s LAN, but the host itself cannot reach it over this NIC`);
      notes.push('raw QEMU: macvtap takes a file descriptor the shell opens (/dev/tapN): use virt-install or the XML');
      xml = interfaceXml({ type: 'direct', dev: nic.dev, mode: nic.mode }, mac, nicModel, undefined);
      break;
    }
    case 'user': {
      virtInstall = [...base, '--network', `type=user,${nicOpts}`];
      if (nic.passt) {
        // virt-install 4.1 has no option for passt's backend or forwards: its --xml edits write them.
        virtInstall.push('--xml', './devices/interface/backend/@type=passt');
        nic.forwards.forEach((f, k) =>
          virtInstall.push(
            '--xml',
            `./devices/interface/portForward[${k + 1}]/@proto=${f.proto}`,
            '--xml',
            `./devices/interface/portForward[${k + 1}]/range/@start=${f.host}`,
            '--xml',
            `./devices/interface/portForward[${k + 1}]/range/@to=${f.guest}`,
          ),
        );
      } else if (nic.forwards.length)
        notes.push("libvirt has no forward element for SLIRP: virt-install's line gets none (use --passt); raw QEMU's hostfwd has them");
      const fwd = nic.forwards.map((f) => `,hostfwd=${f.proto}::${f.host}-:${f.guest}`).join('');
      qemu = [...qemuBase, '-netdev', `user,id=n0${fwd}`, '-device', device];
      notes.push("user-mode networking: the guest has no address on the LAN; it is reached through the forwards (QEMU's hostfwd is IPv4 only)");
      const forwards = nic.passt
        ? nic.forwards.map((f) => `\n  <portForward proto='${f.proto}'>\n    <range start='${f.host}' to='${f.guest}'/>\n  </portForward>`).join('')
        : '';
      xml = interfaceXml({ type: 'user', passt: nic.passt }, mac, nicModel, undefined).replace(/\n<\/interface>$/, `${forwards}\n</interface>`);
      break;
    }
    case 'pci':
    case 'vf': {
      const addr = pci!;
      const dev = model.pciDevices.find((d) => d.address === addr.full);
      if (!dev) problems.push(`${host} has no PCI device ${addr.full}`);
      else {
        if (nic.type === 'vf' && !dev.physfn) problems.push(`${addr.full} is not an SR-IOV virtual function (it has no physfn)`);
        if (dev.driver !== 'vfio-pci')
          notes.push(
            `${addr.full} is on ${dev.driver ?? 'no driver'}: libvirt's managed hostdev moves it to vfio-pci when the VM starts; raw QEMU needs it bound first (virsh nodedev-detach pci_${addr.full.replace(/[:.]/g, '_')})`,
          );
        if (dev.assignedTo) problems.push(`${addr.full} is given to ${dev.assignedTo} already`);
      }
      const nodedev = `pci_${addr.full.replace(/[:.]/g, '_')}`;
      virtInstall = [...base, '--network', 'none', '--hostdev', nodedev];
      qemu = [...qemuBase, '-device', `vfio-pci,host=${addr.full}`];
      const [d, b, s, f] = addr.parts;
      xml = [
        `<hostdev mode='subsystem' type='pci' managed='yes'>`,
        `  <source>`,
        `    <address domain='0x${d}' bus='0x${b}' slot='0x${s}' function='0x${f}'/>`,
        `  </source>`,
        `</hostdev>`,
      ].join('\n');
      break;
    }
    case 'none':
      virtInstall = [...base, '--network', 'none'];
      qemu = [...qemuBase];
      xml = '';
      notes.push('no network: the VM has no NIC at all (QEMU with -nodefaults adds none)');
      break;
  }
  if (!isVirtioModel(nicModel) && nic.type !== 'pci' && nic.type !== 'vf' && nic.type !== 'none')
    notes.push(
      `${nicModel} is emulated hardware: virtio-net is faster and lighter on the host's CPU (the guest needs its driver: Linux since 2.6.25, Windows virtio-win)`,
    );
  return { virtInstall, qemuSetup, qemu, xml, problems, notes };
}

/** The three forms in one text, as the CLI's `--format all` and VS Code's editor show them. */
export function cmdlinesText(c: Cmdlines): string {
  const out = ['# virt-install', shJoin(c.virtInstall), ''];
  if (c.qemu) out.push('# QEMU (as root; the first lines make its tap)', ...c.qemuSetup.map(shJoin), shJoin(c.qemu), '');
  if (c.xml) out.push('# libvirt XML (virsh attach-device VM FILE --config)', c.xml);
  return out.join('\n');
}
