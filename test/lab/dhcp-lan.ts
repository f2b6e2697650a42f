/**
 * A LAN with a DHCP server behind a lab host's second NIC, all in namespaces this file makes:
 *
 *   root ns --- vn-NAME/enp3s1 --- [lab host vnl-NAME] --- enp4s0/lan0 --- [LAN vnd-NAME: dnsmasq]
 *
 * The lab host's enp4s0 holds 10.233.INDEX.2/24 with the default route via the LAN's
 * 10.233.INDEX.1, where dnsmasq serves DHCP only (no DNS) and reserves .2 for enp4s0's MAC, so a
 * bridge that takes the NIC's MAC gets the same address back. A second sshd of the lab host
 * listens on the LAN address, and `cli()` runs the `virtnet` CLI inside the LAN namespace: its
 * session arrives over enp4s0, so changes to enp4s0 run under the connectivity guard.
 * The root namespace never sees any of it. Every process started here is stopped by pid.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readlinkSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { CLI, type CliResult } from './cli';
import type { ExecResult, LabHost } from './lab';

const REPO = new URL('../..', import.meta.url).pathname;
const LAB = path.join(process.env.VIRTNET_CACHE ?? path.join(REPO, '.cache'), 'lab');

export interface Lan {
  /** The LAN namespace, vnd-NAME. */
  ns: string;
  /** The lab host's second NIC. */
  nic: 'enp4s0';
  mac: string;
  /** The DHCP server and gateway, 10.233.INDEX.1. */
  server: string;
  /** The address reserved for the NIC's MAC (and the NIC's static address at start), 10.233.INDEX.2. */
  reserved: string;
  /** The virtnet CLI run inside the LAN namespace against the lab host's LAN address. */
  cli(...args: string[]): Promise<CliResult>;
  /** router: false serves leases without a router option (a server that gives no default route). */
  startDhcp(opts?: { router?: boolean }): Promise<void>;
  stopDhcp(): Promise<void>;
  /** dnsmasq's log (what the server saw), for failure messages. */
  dhcpLog(): string;
  down(): Promise<void>;
}

function run(argv: string[], timeoutMs = 60_000): Promise<ExecResult> {
  return new Promise((resolve) => {
    execFile(argv[0]!, argv.slice(1), { maxBuffer: 64 << 20, timeout: timeoutMs }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : -1) : 0;
      resolve({ stdout, stderr, code });
    });
  });
}

async function must(what: string, argv: string[]): Promise<string> {
  const r = await run(argv);
  if (r.code !== 0) throw new Error(`${what} failed (exit ${r.code}): ${argv.join(' ')}\n${r.stderr.trim()}`);
  return r.stdout;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function netnsOf(pid: number): string | null {
  try {
    return readlinkSync(`/proc/${pid}/ns/net`);
  } catch {
    return null;
  }
}

function readPid(file: string): number | null {
  try {
    const n = Number(readFileSync(file, 'utf8').trim());
    return Number.isInteger(n) && n > 0 ? n : null;
  } catch {
    return null;
  }
}

/** TERM, wait up to 5 s, then KILL; only while the pid still sits in network namespace `ns`. */
async function stopPid(pid: number | null, ns: string): Promise<void> {
  if (pid === null || netnsOf(pid) !== ns) return;
  try {
    process.kill(pid, 'SIGTERM');
  } catch {
    return;
  }
  for (let i = 0; i < 50; i++) {
    if (netnsOf(pid) !== ns) return;
    const state = (() => {
      try {
        return readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /, '')[0];
      } catch {
        return 'gone';
      }
    })();
    if (state === 'Z' || state === 'gone') return;
    await sleep(100);
  }
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    /* gone meanwhile */
  }
}

/** Builds the LAN behind `host`. On any failure it tears down what it built, then throws. */
export async function lanUp(host: LabHost): Promise<Lan> {
  const ns = `vnd-${host.name}`;
  const dir = path.join(LAB, host.name, 'lan');
  const server = `10.233.${host.index}.1`;
  const reserved = `10.233.${host.index}.2`;
  const nic = 'enp4s0' as const;
  const hostNs = `vnl-${host.name}`;
  const nsId = () => `net:[${statSync(`/run/netns/${ns}`).ino}]`;
  const hostNsId = () => `net:[${statSync(`/run/netns/${hostNs}`).ino}]`;
  // The LAN's subnet must be free in the root namespace (only read here, never changed).
  if ((await must('reading root addresses', ['ip', '-o', 'addr', 'show', 'to', `10.233.${host.index}.0/24`])).trim()) {
    throw new Error(`10.233.${host.index}.0/24 is in use in the root namespace`);
  }
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  let mac = '';

  const startDhcp = async (opts: { router?: boolean } = {}) => {
    await must('starting dnsmasq', [
      'ip',
      'netns',
      'exec',
      ns,
      'dnsmasq',
      '--conf-file=/dev/null',
      '--no-resolv',
      '--no-hosts',
      // DHCP only: no DNS service and so no DNS option, nothing for a client hook to write.
      '--port=0',
      '--interface=lan0',
      '--bind-interfaces',
      '--except-interface=lo',
      '--dhcp-authoritative',
      `--dhcp-range=10.233.${host.index}.100,10.233.${host.index}.150,255.255.255.0,2m`,
      // An option given without a value is one dnsmasq does not send.
      `--dhcp-host=${mac},${reserved}`,
      opts.router === false ? '--dhcp-option=option:router' : `--dhcp-option=option:router,${server}`,
      `--dhcp-leasefile=${dir}/leases`,
      `--pid-file=${dir}/dnsmasq.pid`,
      '--log-dhcp',
      `--log-facility=${dir}/dnsmasq.log`,
      '--user=root',
      '--group=root',
    ]);
  };
  const stopDhcp = async () => {
    await stopPid(readPid(`${dir}/dnsmasq.pid`), nsId());
    rmSync(`${dir}/dnsmasq.pid`, { force: true });
  };

  const down = async () => {
    if (existsSync(`/run/netns/${ns}`)) {
      await stopDhcp();
      // Anything else of ours still in the LAN (a CLI or ssh of a failed test).
      for (const p of (await run(['ip', 'netns', 'pids', ns])).stdout.split(/\s+/).filter(Boolean)) await stopPid(Number(p), nsId());
    }
    if (existsSync(`/run/netns/${hostNs}`)) await stopPid(readPid(`${dir}/sshd.pid`), hostNsId());
    // Deleting the namespace deletes lan0, and with it its peer enp4s0 in the lab host.
    if (existsSync(`/run/netns/${ns}`)) await run(['ip', 'netns', 'del', ns]);
  };

  try {
    await must('adding the LAN namespace', ['ip', 'netns', 'add', ns]);
    // Both ends are born outside the root namespace.
    await must('adding the LAN veth', ['ip', '-n', ns, 'link', 'add', 'lan0', 'type', 'veth', 'peer', 'name', nic, 'netns', hostNs]);
    await must('LAN lo', ['ip', '-n', ns, 'link', 'set', 'lo', 'up']);
    await must('LAN address', ['ip', '-n', ns, 'addr', 'add', `${server}/24`, 'dev', 'lan0']);
    await must('LAN up', ['ip', '-n', ns, 'link', 'set', 'lan0', 'up']);
    for (const argv of [
      ['ip', 'addr', 'add', `${reserved}/24`, 'dev', nic],
      ['ip', 'link', 'set', nic, 'up'],
      ['ip', 'route', 'replace', 'default', 'via', server, 'dev', nic],
    ]) {
      const r = await host.exec(argv);
      if (r.code !== 0) throw new Error(`${argv.join(' ')} on ${host.name}: ${r.stderr}`);
    }
    mac = JSON.parse((await host.exec(['ip', '-j', 'link', 'show', 'dev', nic])).stdout)[0].address;
    await startDhcp();

    // A second sshd of the lab host, on the LAN address; same keys, its own pid file.
    const base = readFileSync(path.join(LAB, host.name, 'state', 'sshd_config'), 'utf8');
    writeFileSync(`${dir}/sshd_config`, base.replace(/^ListenAddress .*$/m, `ListenAddress ${reserved}`).replace(/^PidFile .*$/m, `PidFile ${dir}/sshd.pid`));
    const sshd = await host.exec([
      'env',
      '-i',
      'PATH=/usr/sbin:/usr/bin:/sbin:/bin',
      'LANG=C.UTF-8',
      '/usr/sbin/sshd',
      '-f',
      `${dir}/sshd_config`,
      '-E',
      `${dir}/sshd.log`,
    ]);
    if (sshd.code !== 0) throw new Error(`LAN sshd: ${sshd.stderr}`);
    // The client's view: the lab's own entry (key, known host alias), aimed at the LAN address.
    const text = readFileSync(host.sshConfig, 'utf8');
    const block = text.slice(text.indexOf(`Host ${host.dest}\n`)).split(/\n(?=Host |# END)/)[0]!;
    writeFileSync(`${dir}/ssh_config`, `${block.replace(`Host ${host.dest}`, `Host lan-${host.name}`).replace(/HostName .*/, `HostName ${reserved}`)}\n`, {
      mode: 0o600,
    });
    let ok = false;
    for (let i = 0; i < 60 && !ok; i++) {
      ok = (await run(['ip', 'netns', 'exec', ns, 'ssh', '-F', `${dir}/ssh_config`, `lan-${host.name}`, 'true'], 20_000)).code === 0;
      if (!ok) await sleep(250);
    }
    if (!ok) throw new Error(`no ssh to ${host.name} over the LAN: ${readFileSync(`${dir}/sshd.log`, 'utf8').slice(-2000)}`);
  } catch (err) {
    await down();
    throw err;
  }

  return {
    ns,
    nic,
    mac,
    server,
    reserved,
    cli: async (...args) => {
      const started = Date.now();
      const r = await run(['ip', 'netns', 'exec', ns, 'node', CLI, ...args, '--host', `lan-${host.name}`, '--ssh-config', `${dir}/ssh_config`], 150_000);
      return { ...r, ms: Date.now() - started };
    },
    startDhcp,
    stopDhcp,
    dhcpLog: () => (existsSync(`${dir}/dnsmasq.log`) ? readFileSync(`${dir}/dnsmasq.log`, 'utf8') : ''),
    down,
  };
}
