/**
 * Benchmark (not a test): `virtnet inventory` over SSH through a 25 ms-each-way delaying proxy,
 * on a lab host at scale (64 bridges x 4 ports, 32 libvirt networks, 64 domains x 2 NICs),
 * warm (master connection up) and cold, against a reference: the same raw commands in one ssh
 * call. Prints commands (round trips) per refresh, medians and ratios; writes
 * test-results/bench-inventory.json.
 *
 *   npm run bench            (root; builds its own lab host `vnl-bench`, removes it at the end)
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { collectInventory } from '../../src/core/collect/collect';
import { spawnArgv } from '../../src/core/exec/spawn';
import { SshExecutor } from '../../src/core/exec/ssh';
import type { CommandLog } from '../../src/core/exec/types';
import { labSkipReason, labUp } from '../lab/lab';
import { startDelayProxy } from './delay-proxy';
import { median, proxiedConfig } from './proxied-config';

const DELAY_MS = Number(process.env.BENCH_DELAY_MS ?? 25);
const RUNS = Number(process.env.BENCH_RUNS ?? 7);

/** Builds the scale scenario inside the lab host with batch tools: a few commands in all. */
const SCALE_SCRIPT = String.raw`
set -e
b=$(mktemp)
for i in $(seq 0 63); do
  echo "link add sbr$i type bridge"
  for j in 0 1 2 3; do
    echo "tuntap add dev st$i-$j mode tap"
    echo "link set st$i-$j master sbr$i"
    echo "link set st$i-$j up"
  done
  echo "link set sbr$i up"
done > "$b"
ip -batch "$b"
d=$(mktemp -d)
for i in $(seq 0 31); do
  cat > "$d/n$i.xml" <<EOF
<network><name>sn$i</name><bridge name='snbr$i' stp='on'/><dns enable='no'/><ip address='172.30.$i.1' netmask='255.255.255.0'/></network>
EOF
  virsh -q net-define "$d/n$i.xml" >/dev/null
  virsh -q net-start "sn$i" >/dev/null
done
for i in $(seq 0 63); do
  m=$(printf '%02x' "$i")
  cat > "$d/d$i.xml" <<EOF
<domain type='qemu'><name>svm$i</name><memory unit='MiB'>64</memory>
<os><type arch='x86_64' machine='q35'>hvm</type></os>
<devices>
<interface type='network'><source network='sn$((i % 32))'/><mac address='52:54:00:be:00:$m'/><model type='virtio'/></interface>
<interface type='bridge'><source bridge='sbr$i'/><mac address='52:54:00:be:01:$m'/><model type='e1000'/></interface>
</devices></domain>
EOF
  virsh -q define "$d/d$i.xml" >/dev/null
done
rm -rf "$d" "$b"
echo "bridges: $(ls -d /sys/class/net/*/bridge | wc -l)  networks: $(virsh -q net-list --all --name | grep -c .)  domains: $(virsh -q list --all --name | grep -c .)"
`;

/** The reference: the same raw facts fetched by a plain command line in one ssh call. */
const REFERENCE = [
  'ip -j -d link show; ip -j addr show; ip -j route show; ip -j -6 route show; bridge -j link show;',
  'for d in /sys/bus/pci/devices/*; do cat $d/class $d/vendor $d/device; done; lspci -mm -D;',
  'qemu-system-x86_64 -nodefaults -machine none -device help;',
  'virsh -q "net-list --all ; list --all";',
  'c=; for n in $(virsh -q net-list --all --name); do c="$c net-dumpxml $n ; net-dhcp-leases $n ;"; done;',
  'for n in $(virsh -q list --all --name); do c="$c domstate $n ; dumpxml $n ;"; done; virsh -q "$c"',
].join(' ');

async function main(): Promise<void> {
  const skip = labSkipReason();
  if (skip) {
    console.log(`bench skipped: ${skip}`);
    return;
  }
  const host = await labUp('bench', 13);
  const work = mkdtempSync(join(tmpdir(), 'virtnet-bench-'));
  const proxy = await startDelayProxy(host.address, 22, DELAY_MS);
  try {
    const { file, dest } = proxiedConfig(host, proxy.port, work);
    let commands = 0;
    const counter: CommandLog = { info: (m) => void (m.includes(' $ ') && commands++), debug() {}, error() {} };

    const measureWarm = async (label: string) => {
      const ex = new SshExecutor(dest, { configFile: file, controlDir: mkdtempSync(join(work, 'w')), log: counter });
      await collectInventory(ex); // brings the master up
      const times: number[] = [];
      const refTimes: number[] = [];
      let perRefresh = 0;
      let model;
      for (let i = 0; i < RUNS; i++) {
        commands = 0;
        let t = performance.now();
        model = await collectInventory(ex);
        times.push(performance.now() - t);
        perRefresh = commands;
        t = performance.now();
        await ex.run(['sh', '-c', REFERENCE], { root: false, allowFailure: true });
        refTimes.push(performance.now() - t);
      }
      await ex.dispose();
      const size = {
        bridges: model!.bridges.length,
        ports: model!.bridges.reduce((n, b) => n + b.ports.length, 0),
        networks: model!.networks.length,
        domains: model!.domains.length,
        nics: model!.domains.reduce((n, d) => n + d.interfaces.length, 0),
      };
      return { label, size, commandsPerRefresh: perRefresh, warmMs: median(times), referenceWarmMs: median(refTimes), ratio: median(times) / median(refTimes) };
    };

    const measureCold = async () => {
      const times: number[] = [];
      const refTimes: number[] = [];
      const conns: number[] = [];
      for (let i = 0; i < Math.max(3, Math.ceil(RUNS / 2)); i++) {
        const before = proxy.connections;
        const ex = new SshExecutor(dest, { configFile: file, controlDir: mkdtempSync(join(work, 'c')) });
        let t = performance.now();
        await collectInventory(ex);
        times.push(performance.now() - t);
        conns.push(proxy.connections - before);
        await ex.dispose();
        t = performance.now();
        await spawnArgv(['ssh', '-F', file, '-o', 'ControlMaster=no', '-o', 'ControlPath=none', '--', dest, REFERENCE]);
        refTimes.push(performance.now() - t);
      }
      return { coldMs: median(times), referenceColdMs: median(refTimes), ratio: median(times) / median(refTimes), tcpConnectionsPerRefresh: median(conns) };
    };

    const rtt = await (async () => {
      const ex = new SshExecutor(dest, { configFile: file, controlDir: mkdtempSync(join(work, 'r')) });
      await ex.run(['true']);
      const ts: number[] = [];
      for (let i = 0; i < RUNS; i++) {
        const t = performance.now();
        await ex.run(['true']);
        ts.push(performance.now() - t);
      }
      await ex.dispose();
      return median(ts);
    })();

    const small = await measureWarm('bare lab host');
    const scaleOut = await host.exec(['bash', '-c', SCALE_SCRIPT]);
    if (scaleOut.code !== 0) {
      throw new Error(`scaling the lab host failed: ${scaleOut.stderr}`);
    }
    console.log(`scaled lab host: ${scaleOut.stdout.trim()}`);
    const large = await measureWarm('scaled lab host');
    const cold = await measureCold();

    const result = { delayMsEachWay: DELAY_MS, runs: RUNS, emptyCommandMs: rtt, small, large, cold };
    mkdirSync('test-results', { recursive: true });
    writeFileSync('test-results/bench-inventory.json', `${JSON.stringify(result, null, 2)}\n`);
    const f = (n: number) => `${Math.round(n)} ms`;
    console.log(`\nvirtnet inventory over SSH, ${DELAY_MS} ms each way, medians of ${RUNS} runs`);
    console.log(`  one empty command on the warm connection: ${f(rtt)}`);
    for (const r of [small, large]) {
      console.log(`  ${r.label}: ${JSON.stringify(r.size)}`);
      console.log(`    commands (round trips) per refresh: ${r.commandsPerRefresh}`);
      console.log(`    warm: virtnet ${f(r.warmMs)}, reference ${f(r.referenceWarmMs)}, ratio ${r.ratio.toFixed(2)}x`);
    }
    console.log(
      `  cold (scaled): virtnet ${f(cold.coldMs)}, reference ${f(cold.referenceColdMs)}, ratio ${cold.ratio.toFixed(2)}x, TCP connections per refresh ${cold.tcpConnectionsPerRefresh}`,
    );
  } finally {
    await proxy.close();
    await host.down();
    rmSync(work, { recursive: true, force: true });
  }
}

void main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
