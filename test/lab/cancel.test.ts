/**
 * Lab tier: cancelling ends the work on the host, not just our ssh client. A cancelled command
 * leaves no process behind; a cancelled plan undoes what it did and says so; a collector stuck
 * on a frozen libvirtd is ended too. Processes are counted inside the lab host's network
 * namespace (there is no PID namespace: `pgrep --ns` keeps the machine's own processes out).
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { after, before, test } from 'node:test';
import { promisify } from 'node:util';
import { collectInventory } from '../../src/core/collect/collect';
import { CommandError } from '../../src/core/exec/errors';
import { SshExecutor } from '../../src/core/exec/ssh';
import { applyPlan } from '../../src/core/ops/apply';
import { plan, step, type Plan } from '../../src/core/ops/plan';
import { labSkipReason, labSudoUser, labUp, type LabHost } from './lab';

const run = promisify(execFile);
const LABHOST = new URL('./labhost.sh', import.meta.url).pathname;
const skip = labSkipReason();
const opts = { skip: skip ?? false, timeout: 180_000 };
let host: LabHost;

before(
  async () => {
    if (skip) return;
    host = await labUp('cancel', 21);
  },
  { timeout: 240_000 },
);

after(
  async () => {
    if (!skip) await host?.down();
  },
  { timeout: 120_000 },
);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls until `check` resolves true; the deadline is generous (2 cores, others testing too). */
async function until(what: string, check: () => Promise<boolean>, ms = 30_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) assert.fail(`timed out after ${ms} ms waiting for ${what}`);
    await sleep(100);
  }
}

/**
 * `pgrep -a ARGS...` over the processes in the lab host's network namespace. The patterns sit in
 * the shell's own command line too, so callers use -x or a bracket ("virtnet-ru[n]") to keep it
 * from matching itself.
 */
async function inHost(...args: string[]): Promise<string[]> {
  const r = await host.exec(['sh', '-c', 'pgrep --ns $$ --nslist net -a "$@"; exit 0', 'pgrep-in-host', ...args]);
  assert.equal(r.code, 0, r.stderr);
  return r.stdout.split('\n').filter(Boolean);
}

/** What a cancel must not leave behind: our wrapper, for any run. */
const leftWrappers = () => inHost('-f', 'virtnet-ru[n]');

async function links(): Promise<string> {
  return (await host.exec(['sh', '-c', 'ip -o link show | sed "s/^[0-9]*: //; s/ state .*//"'])).stdout;
}

function executor(dest = host.dest): SshExecutor {
  return new SshExecutor(dest, { configFile: host.sshConfig });
}

const isCancelled = (e: unknown) => e instanceof CommandError && e.kind === 'cancelled';

test('a cancelled `sleep 60` over SSH ends on the host, not just in our ssh client', opts, async () => {
  const ex = executor();
  try {
    await ex.run(['true']); // the master connection is up, as it is in real use
    const abort = new AbortController();
    const pending = ex.run(['sleep', '60'], { signal: abort.signal });
    await until('sleep 60 on the host', async () => (await inHost('-x', '-f', 'sleep 60')).length === 1);
    abort.abort();
    const started = Date.now();
    await assert.rejects(pending, isCancelled);
    assert.ok(Date.now() - started < 20_000, 'the run ended after the cancel');
    await until('no sleep 60 on the host', async () => (await inHost('-x', '-f', 'sleep 60')).length === 0, 10_000);
    assert.deepEqual(await leftWrappers(), []);
  } finally {
    await ex.dispose();
  }
});

/** ip link add vx0 (a bridge: this kernel has no dummy driver); then a step that waits, so the cancel lands in the middle. */
function addThenWait(): Plan {
  return plan('cancel test: vx0, then wait', [
    step(['ip', 'link', 'add', 'vx0', 'type', 'bridge'], 'a link to undo', ['ip', 'link', 'del', 'vx0']),
    step(['sleep', '30'], 'a long step to cancel in', null),
  ]);
}

async function cancelPlanMidway(ex: SshExecutor): Promise<void> {
  const baseline = await links();
  assert.doesNotMatch(baseline, /vx0/);
  const abort = new AbortController();
  const pending = applyPlan(ex, addThenWait(), { signal: abort.signal });
  await until(
    'vx0 and the sleep on the host',
    async () => (await host.exec(['ip', 'link', 'show', 'vx0'])).code === 0 && (await inHost('-x', '-f', 'sleep 30')).length === 1,
  );
  abort.abort();
  const r = await pending;
  assert.equal(r.ok, false, r.stderr);
  assert.equal(r.cancelled, true, r.stderr);
  assert.equal(r.cancelledAtStep, 2, r.stderr);
  assert.equal(r.undone, true, r.stderr);
  assert.equal(r.failedStep, null);
  assert.match(r.stderr, /virtnet: cancelled at step 2; undoing/);
  assert.ok(r.durationMs < 25_000, `ended by the cancel, not by sleep 30 (${r.durationMs} ms)`);
  assert.equal(await links(), baseline, 'the host is as it was: no vx0');
  await until('no sleep 30 on the host', async () => (await inHost('-x', '-f', 'sleep 30')).length === 0, 10_000);
  assert.deepEqual(await leftWrappers(), []);
}

test('a cancelled root plan undoes its done steps on the host and says so', opts, async () => {
  const ex = executor();
  try {
    await cancelPlanMidway(ex);
  } finally {
    await ex.dispose();
  }
});

test('the collector stuck on a frozen libvirtd: cancelled, no virsh or collector left', opts, async () => {
  const status = (await run('bash', [LABHOST, 'status', host.name])).stdout;
  const pid = Number(/libvirtd: (\d+)/.exec(status)?.[1]);
  assert.ok(pid > 0, status);
  const ex = executor();
  process.kill(pid, 'SIGSTOP');
  try {
    const abort = new AbortController();
    const pending = collectInventory(ex, { signal: abort.signal });
    // Keep the rejection observed while we wait for virsh to hang.
    pending.catch(() => {});
    await until('virsh waiting on the frozen libvirtd', async () => (await inHost('-x', 'virsh')).length > 0);
    assert.ok((await inHost('-f', 'virtnet-collecto[r]')).length > 0, 'the collector runs');
    abort.abort();
    await assert.rejects(pending, isCancelled);
    await until(
      'no virsh and no collector on the host',
      async () => (await inHost('-x', 'virsh')).length === 0 && (await inHost('-f', 'virtnet-collecto[r]')).length === 0,
      10_000,
    );
    assert.deepEqual(await leftWrappers(), []);
  } finally {
    process.kill(pid, 'SIGCONT');
    await ex.dispose();
  }
  const v = await host.exec(['virsh', '-c', 'qemu:///system', 'version']);
  assert.equal(v.code, 0, `libvirtd answers again: ${v.stderr}`);
});

test('through sudo: the cancel runs as root too, so root steps are stopped and undone', opts, async () => {
  // Passwordless sudo: the run's processes below sudo are root's, which the user could not signal.
  const user = await labSudoUser(host, { name: 'kvmcancel', uid: 4243 });
  const ex = executor(user.dest);
  try {
    assert.equal((await ex.run(['id', '-u'])).stdout.trim(), '4243', 'logged in as the user');
    await cancelPlanMidway(ex);
  } finally {
    await ex.dispose();
    await user.remove();
  }
});
