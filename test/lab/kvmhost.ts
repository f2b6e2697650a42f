// The nested KVM host for tests: a TCG guest with an emulated VT-d IOMMU and an SR-IOV NIC (igb),
// booted by kvmhost/vm.sh and reached over real SSH like a lab host. There is no namespace: exec
// and sh run over SSH inside the guest. See test/lab/README.md.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { ExecResult, LabHost } from './lab';

export interface KvmHost extends Pick<LabHost, 'name' | 'dest' | 'sshConfig' | 'exec' | 'sh' | 'down'> {
  /** The 127.0.0.1 port QEMU forwards to the guest's sshd, picked at up time. */
  port: number;
  /** Seconds from `up` to the first SSH login, and to libvirtd's first answer. */
  boot: { ssh: number; libvirt: number };
  /** The guest's serial console so far (kernel log and stage 2's own lines). */
  console(): string;
}

export interface KvmHostOptions {
  /** libvirt's network driver backend inside the guest; default libvirt's choice. */
  firewall?: 'iptables' | 'nftables';
  /** Seconds to wait for SSH and libvirtd. TCG on a busy 2-core machine: be generous. */
  timeoutSec?: number;
}

const HERE = path.dirname(new URL(import.meta.url).pathname);
const VM = path.join(HERE, 'kvmhost', 'vm.sh');
const CACHE = process.env.VIRTNET_CACHE ?? path.resolve(HERE, '../../.cache');
const OUT = path.join(CACHE, 'kvmhost');

function run(argv: string[], opts: { env?: NodeJS.ProcessEnv; input?: string } = {}): Promise<ExecResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(argv[0], argv.slice(1), {
      env: { ...process.env, ...opts.env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    child.on('error', reject);
    // An empty stdin for commands, so ssh never waits on ours.
    child.stdin.end(opts.input ?? '');
    child.on('close', (code, signal) =>
      resolve({
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8'),
        code: code ?? (signal ? 128 : 1),
      }),
    );
  });
}

const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

export async function kvmHostUp(name: string, opts: KvmHostOptions = {}): Promise<KvmHost> {
  const env = { KVMHOST_FIREWALL: opts.firewall ?? '', KVMHOST_TIMEOUT: String(opts.timeoutSec ?? 240) };
  const up = await run(['bash', VM, 'up', name], { env });
  // vm.sh has already taken a failed boot down, and its stderr carries the console's tail.
  if (up.code !== 0) throw new Error(`nested KVM host ${name} did not come up (exit ${up.code}):\n${up.stderr.trim()}`);
  const runDir = path.join(OUT, 'hosts', name, 'run');
  const times = Object.fromEntries(
    readFileSync(path.join(runDir, 'times'), 'utf8')
      .trim()
      .split(/\s+/)
      .map((kv) => kv.split('=')),
  ) as Record<string, string>;
  const dest = `vnl-${name}`;
  const sshConfig = path.join(OUT, 'ssh_config');
  // One multiplexed connection for the test's own commands: a fresh login costs ~2 s under TCG.
  // vm.sh down closes it.
  const ssh = ['ssh', '-F', sshConfig, '-o', 'ControlMaster=auto', '-o', `ControlPath=${runDir}/ssh-mux`, '-o', 'ControlPersist=300', dest];
  return {
    name,
    dest,
    sshConfig,
    port: Number(times.port),
    boot: { ssh: Number(times.ssh), libvirt: Number(times.libvirt) },
    console: () => readFileSync(path.join(runDir, 'console.log'), 'utf8'),
    exec: (argv) => run([...ssh, '--', argv.map(quote).join(' ')]),
    sh: async (script) => {
      const r = await run([...ssh, '--', 'bash', '-s'], { input: script });
      if (r.code !== 0) throw new Error(`on ${dest}: exit ${r.code}: ${r.stderr.trim()}\nscript:\n${script}`);
      return r.stdout;
    },
    down: () => kvmHostDown(name),
  };
}

/** Stops the host's QEMU (by its pid file) and its SSH connection; fine when it is not up. */
export async function kvmHostDown(name: string): Promise<void> {
  const r = await run(['bash', VM, 'down', name]);
  if (r.code !== 0) throw new Error(`nested KVM host ${name} down failed (exit ${r.code}): ${r.stderr.trim()}`);
}

/** Whether an ELF64 file names a program interpreter (PT_INTERP): it is dynamically linked. */
function hasInterpreter(file: string): boolean {
  const elf = readFileSync(file);
  if (elf.readUInt32BE(0) !== 0x7f454c46 || elf[4] !== 2) return true;
  const phoff = Number(elf.readBigUInt64LE(0x20));
  const size = elf.readUInt16LE(0x36);
  const count = elf.readUInt16LE(0x38);
  for (let i = 0; i < count; i++) {
    if (elf.readUInt32LE(phoff + i * size) === 3) return true;
  }
  return false;
}

/** Why the nested KVM host cannot boot here, or null when it can. Tests skip with this reason. */
export function kvmHostSkipReason(): string | null {
  if (process.platform !== 'linux') return `the nested KVM host needs Linux (this is ${process.platform})`;
  if (typeof process.getuid === 'function' && process.getuid() !== 0) return 'the nested KVM host needs root';
  const tools: Array<[string, string]> = [
    ['/usr/bin/qemu-system-x86_64', 'qemu-system-x86_64 (qemu-system-x86)'],
    ['/usr/sbin/sshd', 'sshd (openssh-server)'],
    ['/usr/bin/ssh', 'ssh (openssh-client)'],
    ['/usr/sbin/libvirtd', 'libvirtd (libvirt-daemon-system)'],
    ['/usr/bin/virsh', 'virsh (libvirt-clients)'],
    ['/usr/lib/systemd/systemd-udevd', 'systemd-udevd (udev)'],
    ['/usr/bin/cpio', 'cpio'],
    ['/usr/sbin/depmod', 'depmod (kmod)'],
    ['/usr/bin/apt-get', 'apt-get'],
    ['/usr/bin/ss', 'ss (iproute2)'],
    ['/usr/bin/flock', 'flock (util-linux)'],
    ['/bin/busybox', 'busybox (busybox-static)'],
  ];
  for (const [file, what] of tools) {
    if (!existsSync(file)) return `${what} is not installed`;
  }
  // The initramfs has no libc: a dynamically linked busybox (package busybox) cannot run there.
  if (hasInterpreter('/bin/busybox')) return 'busybox is the dynamic build: install busybox-static';
  const help = spawnSync('/usr/bin/qemu-system-x86_64', ['-device', 'help'], { encoding: 'utf8', timeout: 20_000 });
  if (help.status !== 0) return `qemu-system-x86_64 -device help failed: ${(help.stderr ?? '').trim()}`;
  for (const dev of ['igb', 'intel-iommu', 'pcie-root-port', 'virtio-9p-pci']) {
    if (!help.stdout.includes(`name "${dev}"`)) return `this QEMU has no ${dev} device (igb needs QEMU 8+: bookworm-backports)`;
  }
  return null;
}
