/**
 * A TCG guest of the lab's guest image (guest-image.sh) on a lab host, with a command channel.
 *
 * The domain is seed.sh's c7 (type qemu, q35, 192 MiB, direct kernel boot from the host's
 * /var/lib/libvirt/boot/) with the NICs asked for, except that its serial port is a unix socket
 * of the host's libvirt rather than a pty, still logged to /var/log/libvirt/qemu/NAME-serial.log.
 * The domain starts paused, this file connects to the socket, then the guest runs: so the
 * connection sees every byte, and input can never be dropped for want of a reader.
 *
 * The guest's init runs /etc/channel.sh on ttyS0: it reads lines "ID COMMAND" and frames each
 * command's output with "virtnet-guest: run ID" and "virtnet-guest: run ID exit N". `run()`
 * writes such a line to the socket and waits for the frame in the serial log.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import type { LabHost } from './lab';

const REPO = new URL('../..', import.meta.url).pathname;
const CACHE = process.env.VIRTNET_CACHE ?? path.join(REPO, '.cache');

export interface GuestNic {
  mac: string;
  /** A libvirt network of the host, or `passt`: a user-mode NIC on passt (DHCP from passt). */
  network: string;
  /** Default virtio. */
  model?: string;
}

export interface Guest {
  name: string;
  /** The serial log so far, lines ending in \n. */
  serial(): string;
  /** The last `lines` lines of the serial log, for failure messages. */
  tail(lines?: number): string;
  /**
   * Polls the serial log (from offset `from`, a length of `serial()` earlier) every 250 ms until
   * `re` matches, up to `timeoutMs` (default 120 s); throws with the log's tail.
   */
  waitSerial(re: RegExp, what: string, opts?: { timeoutMs?: number; from?: number }): Promise<RegExpExecArray>;
  /** The guest's name for the NIC with this MAC (eth0...), as its init reported it. */
  ifname(mac: string): Promise<string>;
  /** Runs one shell line in the guest as root: its exit code and output (stdout and stderr). */
  run(cmd: string, timeoutMs?: number): Promise<{ code: number; output: string }>;
  /** Destroys and undefines the domain and closes the channel; never throws. */
  remove(): Promise<void>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * Root ports for q35: libvirt puts a device without an address on a free one, so there are as
 * many as the NICs take plus the spare ones left for hotplug. None asked: libvirt's own layout.
 */
function rootPorts(nics: number, spare: number): string {
  if (!spare) return '';
  const ports = Array.from({ length: nics + spare }, (_, i) => `    <controller type='pci' index='${i + 1}' model='pcie-root-port'/>\n`);
  return `    <controller type='pci' index='0' model='pcie-root'/>\n${ports.join('')}`;
}

function domainXml(name: string, nics: GuestNic[], spareRootPorts: number): string {
  const interfaces = nics
    .map((n) =>
      n.network === 'passt'
        ? `    <interface type='user'>
      <mac address='${n.mac}'/>
      <backend type='passt'/>
      <model type='${n.model ?? 'virtio'}'/>
    </interface>`
        : `    <interface type='network'>
      <mac address='${n.mac}'/>
      <source network='${n.network}'/>
      <model type='${n.model ?? 'virtio'}'/>
    </interface>`,
    )
    .join('\n');
  return `<domain type='qemu'>
  <name>${name}</name>
  <memory unit='MiB'>192</memory>
  <vcpu>1</vcpu>
  <os>
    <type arch='x86_64' machine='q35'>hvm</type>
    <kernel>/var/lib/libvirt/boot/virtnet-guest-vmlinuz</kernel>
    <initrd>/var/lib/libvirt/boot/virtnet-guest-initrd.img</initrd>
    <cmdline>console=ttyS0 quiet panic=-1 hostname=${name}</cmdline>
  </os>
  <features>
    <acpi/>
  </features>
  <on_poweroff>destroy</on_poweroff>
  <on_reboot>restart</on_reboot>
  <on_crash>destroy</on_crash>
  <devices>
    <emulator>/usr/bin/qemu-system-x86_64</emulator>
${interfaces}
    <serial type='unix'>
      <source mode='bind' path='/var/lib/libvirt/qemu/${name}-serial.sock'/>
      <log file='/var/log/libvirt/qemu/${name}-serial.log' append='off'/>
      <target port='0'/>
    </serial>
    <controller type='usb' model='none'/>
${rootPorts(nics.length, spareRootPorts)}    <memballoon model='none'/>
  </devices>
</domain>
`;
}

async function virsh(host: LabHost, ...args: string[]): Promise<string> {
  const r = await host.exec(['virsh', '-q', ...args]);
  if (r.code !== 0) throw new Error(`virsh ${args.join(' ')} on ${host.name}: exit ${r.code}: ${r.stderr.trim()}`);
  return r.stdout;
}

/**
 * Defines domain `name` on `host` with these NICs (`beforeStart` runs between define and start; q35 has no free hotplug slot unless `spareRootPorts` adds empty pcie-root-ports) and starts it (the image is built if needed and
 * copied into the host's /var/lib/libvirt/boot/, as seed.sh does). On failure it removes what it made.
 */
export async function guestUp(
  host: LabHost,
  name: string,
  nics: GuestNic[],
  opts: { beforeStart?: () => Promise<void>; spareRootPorts?: number } = {},
): Promise<Guest> {
  const state = path.join(CACHE, 'lab', host.name, 'state');
  // A cache hit when run.sh built it already; it may download the kernel, so not in the host.
  const build = spawnSync('bash', [path.join(REPO, 'test/lab/guest-image.sh')], { encoding: 'utf8' });
  if (build.status !== 0) throw new Error(`guest-image.sh: ${build.stderr}`);
  copyFileSync(path.join(CACHE, 'guest', 'vmlinuz'), path.join(state, 'lib', 'boot', 'virtnet-guest-vmlinuz'));
  copyFileSync(path.join(CACHE, 'guest', 'initrd.img'), path.join(state, 'lib', 'boot', 'virtnet-guest-initrd.img'));
  const xml = path.join(state, `${name}.xml`);
  writeFileSync(xml, domainXml(name, nics, opts.spareRootPorts ?? 0));
  // The host's /var/lib/libvirt and /var/log/libvirt are these directories (labhost.sh binds them).
  const sock = path.join(state, 'lib', 'qemu', `${name}-serial.sock`);
  const logFile = path.join(state, 'log', 'qemu', `${name}-serial.log`);
  if (Buffer.byteLength(sock) > 107) throw new Error(`${sock} is too long for a unix socket address`);

  let socket: net.Socket | null = null;
  const serial = () => {
    try {
      return readFileSync(logFile, 'utf8').replace(/\r/g, '');
    } catch {
      return '';
    }
  };
  const tail = (lines = 40) =>
    serial()
      .split('\n')
      .slice(-lines - 1)
      .join('\n');
  const remove = async () => {
    socket?.destroy();
    socket = null;
    await host.exec(['virsh', 'destroy', name]);
    await host.exec(['virsh', 'undefine', name]);
  };

  try {
    await virsh(host, 'define', xml);
    // Changes to the definition that take effect only at a start (a passt NIC's forwards).
    await opts.beforeStart?.();
    await virsh(host, 'start', '--paused', name);
    socket = await new Promise<net.Socket>((resolve, reject) => {
      const s = net.connect(sock);
      s.once('connect', () => resolve(s));
      s.once('error', reject);
    });
    // What the guest writes is read from the log; the socket is only drained.
    socket.on('data', () => {});
    socket.on('error', () => {});
    await virsh(host, 'resume', name);
  } catch (err) {
    await remove();
    throw err;
  }

  const waitSerial = async (re: RegExp, what: string, { timeoutMs = 120_000, from = 0 } = {}) => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const m = re.exec(serial().slice(from));
      if (m) return m;
      if (Date.now() > deadline) throw new Error(`${name}: waited ${timeoutMs / 1000} s for ${what} in its serial log; it ends:\n${tail()}`);
      await sleep(250);
    }
  };

  let seq = 0;
  return {
    name,
    serial,
    tail,
    waitSerial,
    async ifname(mac) {
      const m = await waitSerial(new RegExp(`virtnet-guest: (eth\\d+) ${escape(mac.toLowerCase())} driver`), `NIC ${mac}`);
      return m[1]!;
    },
    async run(cmd, timeoutMs = 60_000) {
      if (/[\n\r]/.test(cmd)) throw new Error('one line per command');
      if (!socket) throw new Error(`${name} is gone`);
      const id = `c${++seq}`;
      const from = serial().length;
      socket.write(`${id} ${cmd}\n`);
      const m = await waitSerial(
        new RegExp(`virtnet-guest: run ${id}\\n([\\s\\S]*?)virtnet-guest: run ${id} exit (\\d+)\\n`),
        `end of command ${id} (${cmd})`,
        {
          timeoutMs,
          from,
        },
      );
      return { code: Number(m[2]), output: m[1]! };
    },
    remove,
  };
}
