/**
 * Benchmark (not a test): applying a six-step plan (create a bridge, enslave four taps, bring it
 * up) over SSH through a 25 ms-each-way delaying proxy: commands (round trips) and wall time,
 * plain and guarded (armed rollback + a fresh connection to confirm), against a reference: the
 * same six commands as six separate ssh calls on the warm connection. Writes
 * test-results/bench-apply.json.
 *
 *   npm run bench:apply      (root; builds its own lab host `vnl-benchap`, removes it at the end)
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { collectInventory } from '../../src/core/collect/collect';
import { applyPlan } from '../../src/core/ops/apply';
import { planCreateBridge } from '../../src/core/ops/bridge';
import { applyGuarded } from '../../src/core/ops/guard';
import { labSkipReason, labUp } from '../lab/lab';
import { startDelayProxy } from './delay-proxy';
import { commandCounter, median, proxiedExecutor, timedRuns } from './proxied-config';

const DELAY_MS = Number(process.env.BENCH_DELAY_MS ?? 25);
const RUNS = Number(process.env.BENCH_RUNS ?? 7);
const TAPS = ['bt0', 'bt1', 'bt2', 'bt3'];

async function main(): Promise<void> {
  const skip = labSkipReason();
  if (skip) {
    console.log(`bench skipped: ${skip}`);
    return;
  }
  const host = await labUp('benchap', 14, { libvirt: false });
  const work = mkdtempSync(join(tmpdir(), 'virtnet-bench-apply-'));
  const proxy = await startDelayProxy(host.address, 22, DELAY_MS);
  try {
    for (const t of TAPS) {
      const r = await host.exec(['ip', 'tuntap', 'add', 'dev', t, 'mode', 'tap']);
      if (r.code !== 0) throw new Error(r.stderr);
    }
    const counter = commandCounter();
    const ex = proxiedExecutor(host, proxy.port, work, counter);
    const model = await collectInventory(ex);
    const plan = planCreateBridge(model, { name: 'brbench', stp: false, ports: TAPS });
    if (plan.steps.length !== 6) throw new Error(`expected six steps, got ${plan.steps.length}`);
    const teardown = () => host.exec(['ip', 'link', 'del', 'dev', 'brbench']);

    const plain = await timedRuns(
      RUNS,
      proxy,
      counter,
      async () => {
        const r = await applyPlan(ex, plan);
        if (!r.ok) throw new Error(r.stderr);
      },
      teardown,
    );
    const guarded = await timedRuns(
      RUNS,
      proxy,
      counter,
      async () => {
        const outcome = await applyGuarded(ex, plan, { rollbackSeconds: 30, freshExecutor: () => ex.freshConnection() });
        if (outcome.kind !== 'confirmed') throw new Error(JSON.stringify(outcome));
      },
      teardown,
    );
    // Reference: the same six commands, one ssh call each, on the warm connection.
    const reference = await timedRuns(
      RUNS,
      proxy,
      counter,
      async () => {
        for (const s of plan.steps) await ex.run(s.argv);
      },
      teardown,
    );
    await ex.dispose();

    const result = {
      delayMsEachWay: DELAY_MS,
      runs: RUNS,
      steps: plan.steps.length,
      plain: { commands: plain.commands, medianMs: median(plain.ms) },
      guarded: { commands: guarded.commands, newTcpConnections: guarded.newTcpConnections, medianMs: median(guarded.ms) },
      reference: { commands: reference.commands, medianMs: median(reference.ms) },
    };
    mkdirSync('test-results', { recursive: true });
    writeFileSync('test-results/bench-apply.json', `${JSON.stringify(result, null, 2)}\n`);
    const f = (n: number) => `${Math.round(n)} ms`;
    console.log(`six-step plan over SSH, ${DELAY_MS} ms each way, medians of ${RUNS} runs`);
    console.log(`  plain apply:   ${result.plain.commands} command(s), ${f(result.plain.medianMs)}`);
    console.log(
      `  guarded apply: ${result.guarded.commands} command(s) (apply + confirm), ${result.guarded.newTcpConnections} new TCP connection(s), ${f(result.guarded.medianMs)}`,
    );
    console.log(`  reference, one ssh call per step: ${result.reference.commands} commands, ${f(result.reference.medianMs)}`);
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
