/**
 * Benchmark (not a test): creating a libvirt network (issue 9): a NAT network with an address, a
 * DHCP range, two static hosts and autostart, planned with planNetworkCreate from a fresh
 * inventory (define, start, autostart: three steps), applied over SSH through a 25 ms-each-way
 * delaying proxy: commands (round trips), new TCP connections and wall time, plain and guarded
 * (armed rollback + a fresh connection to confirm), against a reference: the same three virsh
 * commands (net-define of the same XML from a file already on the host, net-start,
 * net-autostart) as three separate ssh calls on the warm connection. Between runs the network is
 * destroyed and undefined on the host directly, outside the measured time. Writes
 * test-results/bench-network.json.
 *
 *   npm run bench:network    (root; builds its own lab host `vnl-benchnet`, removes it at the end)
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { collectInventory } from '../../src/core/collect/collect';
import { applyPlan } from '../../src/core/ops/apply';
import { applyGuarded } from '../../src/core/ops/guard';
import { networkXml, planNetworkCreate, type NetworkCreateIntent } from '../../src/core/ops/libvirt/networkCreate';
import { virshArgv } from '../../src/core/ops/libvirt/virsh';
import { labSkipReason, labUp } from '../lab/lab';
import { startDelayProxy } from './delay-proxy';
import { commandCounter, median, proxiedExecutor, timedRuns } from './proxied-config';

const DELAY_MS = Number(process.env.BENCH_DELAY_MS ?? 25);
const RUNS = Number(process.env.BENCH_RUNS ?? 7);
const NET = 'benchnet';
const BRIDGE = 'virbr45';
const XML_FILE = '/tmp/virtnet-bench-network.xml';

const intent: NetworkCreateIntent = {
  name: NET,
  forward: 'nat',
  bridgeName: BRIDGE,
  address: '192.168.145.1/24',
  dhcpRanges: ['192.168.145.100-192.168.145.200'],
  dhcpHosts: [
    { mac: '52:54:00:45:00:0a', ip: '192.168.145.10', name: 'vm10' },
    { mac: '52:54:00:45:00:0b', ip: '192.168.145.11', name: 'vm11' },
  ],
  autostart: true,
};

async function main(): Promise<void> {
  const skip = labSkipReason();
  if (skip) {
    console.log(`bench skipped: ${skip}`);
    return;
  }
  const host = await labUp('benchnet', 45);
  const work = mkdtempSync(join(tmpdir(), 'virtnet-bench-network-'));
  const proxy = await startDelayProxy(host.address, 22, DELAY_MS);
  try {
    const counter = commandCounter();
    const ex = proxiedExecutor(host, proxy.port, work, counter);
    const model = await collectInventory(ex);
    const plan = planNetworkCreate(model, intent);
    if (plan.steps.length !== 3) throw new Error(`expected three steps, got ${plan.steps.length}`);

    const sh = async (argv: string[]) => {
      const r = await host.exec(argv);
      if (r.code !== 0) throw new Error(`${argv.join(' ')}: exit ${r.code}: ${r.stderr}`);
      return r.stdout;
    };
    // The truth after each run, on the host without SSH: running, autostarted, both hosts served.
    const check = async (what: string) => {
      const info = await sh(['virsh', 'net-info', NET]);
      const live = await sh(['virsh', 'net-dumpxml', NET]);
      if (!/Active:\s+yes/.test(info) || !/Autostart:\s+yes/.test(info) || !live.includes("ip='192.168.145.11'"))
        throw new Error(`${what}: ${NET} is not running as planned:\n${info}\n${live}`);
    };
    const teardown = async () => {
      await sh(['virsh', 'net-destroy', NET]);
      await sh(['virsh', 'net-undefine', NET]);
    };

    const plain = await timedRuns(
      RUNS,
      proxy,
      counter,
      async () => {
        const r = await applyPlan(ex, plan);
        if (!r.ok || r.notAsPlanned.length) throw new Error(`plain apply: ${JSON.stringify(r)}`);
      },
      () => check('plain apply').then(teardown),
    );
    const guarded = await timedRuns(
      RUNS,
      proxy,
      counter,
      async () => {
        const outcome = await applyGuarded(ex, plan, { rollbackSeconds: 30, freshExecutor: () => ex.freshConnection() });
        if (outcome.kind !== 'confirmed') throw new Error(`guarded apply: ${JSON.stringify(outcome)}`);
      },
      () => check('guarded apply').then(teardown),
    );

    // Reference: the same XML in a file on the host (put there outside the measured time), and
    // the three virsh commands, one ssh call each, on the warm connection.
    await sh(['sh', '-c', 'printf "%s" "$1" > "$2"', 'write-xml', networkXml(intent, BRIDGE), XML_FILE]);
    const uri = model.libvirtUri;
    const refArgv = [
      virshArgv(uri, 'net-define', '--file', XML_FILE),
      virshArgv(uri, 'net-start', '--network', NET),
      virshArgv(uri, 'net-autostart', '--network', NET),
    ];
    const reference = await timedRuns(
      RUNS,
      proxy,
      counter,
      async () => {
        for (const argv of refArgv) await ex.run(argv);
      },
      () => check('reference').then(teardown),
    );
    await sh(['rm', '-f', XML_FILE]);

    // One empty command on the warm connection: the floor of any round trip.
    const empty = await timedRuns(RUNS, proxy, counter, async () => void (await ex.run(['true'])));
    await ex.dispose();

    const result = {
      delayMsEachWay: DELAY_MS,
      runs: RUNS,
      network: {
        name: NET,
        forward: intent.forward,
        address: intent.address,
        dhcpRanges: intent.dhcpRanges,
        staticHosts: intent.dhcpHosts?.length,
        autostart: true,
      },
      steps: plan.steps.length,
      plain: { ...plain, medianMs: median(plain.ms) },
      guarded: { ...guarded, medianMs: median(guarded.ms) },
      reference: { ...reference, medianMs: median(reference.ms) },
      emptyCommand: { medianMs: median(empty.ms), ms: empty.ms },
    };
    mkdirSync('test-results', { recursive: true });
    writeFileSync('test-results/bench-network.json', `${JSON.stringify(result, null, 2)}\n`);
    const f = (n: number) => `${Math.round(n)} ms`;
    console.log(`create a NAT network (range, two static hosts, autostart) over SSH, ${DELAY_MS} ms each way, medians of ${RUNS} runs`);
    console.log(`  plain apply:   ${result.plain.commands} command(s), ${result.plain.newTcpConnections} new TCP connection(s), ${f(result.plain.medianMs)}`);
    console.log(
      `  guarded apply: ${result.guarded.commands} command(s) (apply + confirm), ${result.guarded.newTcpConnections} new TCP connection(s), ${f(result.guarded.medianMs)}`,
    );
    console.log(
      `  reference, one ssh call per virsh command: ${result.reference.commands} commands, ${result.reference.newTcpConnections} new TCP connection(s), ${f(result.reference.medianMs)}`,
    );
    console.log(`  one empty command on the warm connection: ${f(result.emptyCommand.medianMs)}`);
    console.log(`  ratio plain / reference: ${(result.plain.medianMs / result.reference.medianMs).toFixed(2)}x`);
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
