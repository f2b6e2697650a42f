// Lab hosts for tests: thin typed wrapper over labhost.sh and seed.sh (node builtins only).
// A lab host is a network namespace with its own sshd and libvirtd, reached over real SSH at
// `dest` with the ssh config in `sshConfig`. See test/lab/README.md.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';

export interface ExecResult {
  stdout: string;
  stderr: string;
  code: number;
}

export interface LabHost {
  name: string;
  index: number;
  /** The host's own address (on enp3s1, or br9 after seeding): 10.231.INDEX.2. */
  address: string;
  /** SSH destination defined in sshConfig: 'vnl-NAME'. */
  dest: string;
  /** Absolute path of the lab's ssh_config (use with `ssh -F`). */
  sshConfig: string;
  /** Runs argv inside the host's network + mount namespaces (the truth, without SSH). */
  exec(argv: string[]): Promise<ExecResult>;
  /** Runs a shell script there and gives its stdout; throws with its stderr when it fails. */
  sh(script: string): Promise<string>;
  /** Builds the guide's host: br9, vnet0, network default, c7 running with a lease, zxdb. */
  seed(): Promise<void>;
  /** Stops the host's libvirtd (by its pid; guests and dnsmasq keep running, as on a real host). */
  stopLibvirtd(): Promise<void>;
  /** Starts libvirtd (and virtlogd if needed) and waits until virsh answers. */
  startLibvirtd(): Promise<void>;
  down(): Promise<void>;
}

export interface LabUpOptions {
  /** false: no virtlogd/libvirtd (fault tests). Default true. */
  libvirt?: boolean;
  /** The network driver's firewall backend (`firewall_backend` in network.conf); default libvirt's choice. */
  firewall?: 'iptables' | 'nftables';
}

const LAB_DIR = path.resolve(__dirname_compat(), '.');
const REPO = path.resolve(LAB_DIR, '../..');
const LABHOST = path.join(LAB_DIR, 'labhost.sh');
const SEED = path.join(LAB_DIR, 'seed.sh');
const CACHE = process.env.VIRTNET_CACHE ?? path.join(REPO, '.cache');

// Works whether tsx loads this file as CommonJS or as an ES module.
function __dirname_compat(): string {
  if (typeof __dirname !== 'undefined') return __dirname;
  return path.dirname(new URL(import.meta.url).pathname);
}

function run(argv: string[], env?: NodeJS.ProcessEnv): Promise<ExecResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(argv[0], argv.slice(1), {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    child.on('error', reject);
    // 'close' (not 'exit') so all output has been read.
    child.on('close', (code, signal) =>
      resolve({
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8'),
        code: code ?? (signal ? 128 : 1),
      }),
    );
  });
}

async function mustRun(what: string, argv: string[], env?: NodeJS.ProcessEnv): Promise<ExecResult> {
  const r = await run(argv, env);
  if (r.code !== 0) {
    throw new Error(`${what} failed (exit ${r.code}): ${argv.join(' ')}\n${r.stderr.trim()}`);
  }
  return r;
}

export async function labUp(name: string, index: number, opts: LabUpOptions = {}): Promise<LabHost> {
  const env = { LAB_NO_LIBVIRT: opts.libvirt === false ? '1' : '0', LAB_FIREWALL: opts.firewall ?? '' };
  await mustRun(`lab host ${name} up`, ['bash', LABHOST, 'up', name, String(index)], env);
  return {
    name,
    index,
    address: `10.231.${index}.2`,
    dest: `vnl-${name}`,
    sshConfig: path.join(CACHE, 'lab', 'ssh_config'),
    exec: (argv) => run(['bash', LABHOST, 'exec', name, '--', ...argv]),
    sh: async (script) => {
      const r = await run(['bash', LABHOST, 'exec', name, '--', 'sh', '-c', script]);
      if (r.code !== 0) throw new Error(`on ${name}: ${script}: exit ${r.code}: ${r.stderr}`);
      return r.stdout;
    },
    seed: async () => {
      await mustRun(`seeding lab host ${name}`, ['bash', SEED, name]);
    },
    stopLibvirtd: async () => {
      await mustRun(`stopping libvirtd of ${name}`, ['bash', LABHOST, 'stop-libvirtd', name]);
    },
    startLibvirtd: async () => {
      await mustRun(`starting libvirtd of ${name}`, ['bash', LABHOST, 'start-libvirtd', name]);
    },
    down: async () => {
      await mustRun(`lab host ${name} down`, ['bash', LABHOST, 'down', name]);
    },
  };
}

/** Why the lab cannot run here, or null when it can. Tests skip with this reason. */
export function labSkipReason(): string | null {
  if (process.platform !== 'linux') return `lab needs Linux (this is ${process.platform})`;
  if (typeof process.getuid === 'function' && process.getuid() !== 0) return 'lab needs root';
  const ipNetns = spawnSync('ip', ['netns', 'list'], { stdio: 'ignore' });
  if (ipNetns.error || ipNetns.status !== 0) return '`ip netns` is unavailable';
  const tools: Array<[string, string]> = [
    ['/usr/sbin/libvirtd', 'libvirtd (libvirt-daemon-system)'],
    ['/usr/sbin/virtlogd', 'virtlogd (libvirt-daemon-system)'],
    ['/usr/bin/virsh', 'virsh (libvirt-clients)'],
    ['/usr/sbin/sshd', 'sshd (openssh-server)'],
    ['/usr/bin/ssh', 'ssh (openssh-client)'],
    ['/usr/bin/qemu-system-x86_64', 'qemu-system-x86_64 (qemu-system-x86)'],
    ['/usr/sbin/dnsmasq', 'dnsmasq (dnsmasq-base)'],
    ['/usr/bin/nsenter', 'nsenter (util-linux)'],
    ['/usr/bin/unshare', 'unshare (util-linux)'],
  ];
  for (const [file, what] of tools) {
    if (!existsSync(file)) return `${what} is not installed`;
  }
  return null;
}

/** What a guarded change must leave as it found it: addresses, routes, links and their masters. */
export async function netState(host: Pick<LabHost, 'exec'>): Promise<string> {
  const r = await host.exec(['sh', '-c', 'ip -br addr show; ip route show; ip -o link show | sed "s/^[0-9]*: //; s/ state .*//"']);
  return r.stdout;
}

/**
 * What must not outlive a plan's outcome ('' when none): an armed guard, its timer, a run still
 * going, the lock's holder note. The journals themselves stay (a week) on purpose.
 */
export async function guardLeftovers(host: Pick<LabHost, 'exec'>): Promise<string> {
  // The brackets keep pgrep from finding the shell that runs it.
  const r = await host.exec([
    'sh',
    '-c',
    'ls -d /run/virtnet/journal/*/armed /run/virtnet/journal/*/timer /run/virtnet/lock.holder 2>/dev/null; pgrep -af "lib[.]sh (run|timer)" || true',
  ]);
  return r.stdout.trim();
}

/** The plan journals on a host, newest last. */
export async function journals(host: Pick<LabHost, 'exec'>): Promise<string[]> {
  const r = await host.exec(['sh', '-c', 'ls /run/virtnet/journal 2>/dev/null || true']);
  return r.stdout.split('\n').filter(Boolean);
}

/**
 * A login user with sudo on a lab host, inside its mount namespace only (private copies of
 * passwd/shadow/group and sudoers.d bound over the machine's), so nothing on the machine changes.
 * With `password`, sudo asks for it; without, sudo needs none (NOPASSWD) and the login has no
 * password. `remove()` unbinds the copies and deletes them.
 */
export async function labSudoUser(host: LabHost, user: { name: string; uid: number; password?: string }): Promise<{ dest: string; remove(): Promise<void> }> {
  // Values arrive as positional parameters; the script itself is constant.
  const r = await host.exec([
    'bash',
    '-c',
    String.raw`
    set -e
    name=$1 uid=$2 password=$3
    d=$(mktemp -d /tmp/virtnet-lab-user.XXXXXX)
    cp /etc/passwd /etc/shadow /etc/group "$d"/
    echo "$name:x:$uid:$uid:VirtNet lab:/tmp:/bin/bash" >> "$d/passwd"
    if [ -n "$password" ]; then hash=$(openssl passwd -6 "$password"); rule="ALL=(ALL) ALL"; else hash='*'; rule="ALL=(ALL) NOPASSWD: ALL"; fi
    echo "$name:$hash:19000:0:99999:7:::" >> "$d/shadow"
    echo "$name:x:$uid:" >> "$d/group"
    mkdir "$d/sudoers.d"
    echo "$name $rule" > "$d/sudoers.d/$name"
    chmod 440 "$d/sudoers.d/$name"
    for f in passwd shadow group; do mount --bind "$d/$f" "/etc/$f"; done
    mount --bind "$d/sudoers.d" /etc/sudoers.d
    echo "$d"
  `,
    'lab-user',
    user.name,
    String(user.uid),
    user.password ?? '',
  ]);
  if (r.code !== 0) throw new Error(`adding lab user ${user.name} failed: ${r.stderr}`);
  const dir = r.stdout.trim();
  return {
    dest: `${user.name}@${host.dest}`,
    async remove() {
      await host.exec(['sh', '-c', 'umount /etc/sudoers.d /etc/group /etc/shadow /etc/passwd; rm -rf "$1"', 'lab-user-rm', dir]);
    },
  };
}
