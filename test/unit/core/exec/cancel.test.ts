/**
 * Cancelling, with real processes: the plan script's traps under dash, the local executor's
 * process group, and the remote side of an SSH cancel (the tagged wrapper and the signalling
 * script) run here in their own sessions the way sshd would start them.
 */
import assert from 'node:assert/strict';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { promisify } from 'node:util';
import { newRunTag, signalRunArgv, taggedArgv } from '../../../../src/core/exec/cancel';
import { CommandError } from '../../../../src/core/exec/errors';
import { LocalExecutor } from '../../../../src/core/exec/local';
import { applyPlan } from '../../../../src/core/ops/apply';
import { plan as mkPlan, PLAN_CANCELLED_EXIT, planToScript, step, type Plan } from '../../../../src/core/ops/plan';

const run = promisify(execFile);
let dir: string;

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'virtnet-cancel-'));
});
after(() => {
  rmSync(dir, { recursive: true, force: true });
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls until `check` holds; generous deadline, this machine is shared and slow. */
async function until(what: string, check: () => boolean, ms = 20_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

/** Whether any process of process group `pgid` is alive (zombies of it count as gone). */
function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
  } catch {
    return false;
  }
  // kill(2) also succeeds for zombies not yet reaped: look at the states.
  return readProcs().some((p) => p.pgid === pgid && p.state !== 'Z');
}

function readProcs(): { pid: number; pgid: number; sid: number; state: string }[] {
  const out: { pid: number; pgid: number; sid: number; state: string }[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      out.push({ pid: Number(name), state: f[0]!, pgid: Number(f[2]), sid: Number(f[3]) });
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

/** A step that appends `word` to the log file: order of doing and undoing becomes visible. */
function rec(log: string, word: string): string[] {
  return ['sh', '-c', 'printf "%s\\n" "$1" >> "$2"', 'rec', word, log];
}

function lines(file: string): string[] {
  return existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter(Boolean) : [];
}

interface Ended {
  code: number | null;
  signal: NodeJS.Signals | null;
  stderr: string;
}

/** Starts `sh -c script` as its own process group, like the executor does for a cancellable run. */
function startScript(script: string): { child: ChildProcess; ended: Promise<Ended> } {
  const child = spawn('sh', ['-c', script, 'virtnet-plan'], { detached: true, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (b: Buffer) => (stderr += b.toString()));
  const ended = new Promise<Ended>((resolve) => child.on('close', (code, signal) => resolve({ code, signal, stderr })));
  return { child, ended };
}

function plan(steps: Plan['steps']): Plan {
  return mkPlan('cancel test', steps);
}

for (const sig of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) {
  test(`plan script: ${sig} to its process group during step 3 undoes steps 2 and 1, exits ${PLAN_CANCELLED_EXIT}`, async () => {
    const log = join(dir, `log-${sig}`);
    const { child, ended } = startScript(
      planToScript(
        plan([
          step(rec(log, 'do 1'), 'one', rec(log, 'undo 1')),
          step(rec(log, 'do 2'), 'two', rec(log, 'undo 2')),
          step(['sleep', '30'], 'three', rec(log, 'never')),
          step(rec(log, 'do 4'), 'four', rec(log, 'never 4')),
        ]),
      ),
    );
    await until('steps 1 and 2', () => lines(log).length === 2);
    await sleep(100);
    process.kill(-child.pid!, sig);
    const r = await ended;
    assert.equal(r.code, PLAN_CANCELLED_EXIT, r.stderr);
    assert.match(r.stderr, /^virtnet: cancelled at step 3; undoing$/m);
    assert.match(r.stderr, /^virtnet: undo finished$/m);
    assert.doesNotMatch(r.stderr, /failed/);
    assert.deepEqual(lines(log), ['do 1', 'do 2', 'undo 2', 'undo 1']);
    await until('the step (sleep 30) to be gone', () => !groupAlive(child.pid!));
  });
}

test('plan script: TERM to the script alone while a step finishes: that step is done, so it is undone too', async () => {
  const log = join(dir, 'log-shell-only');
  const { child, ended } = startScript(
    planToScript(
      plan([
        step(rec(log, 'do 1'), 'one', rec(log, 'undo 1')),
        // The step is not signalled: it ends normally, and its undo is recorded before the check.
        step(['sh', '-c', 'sleep 1; printf "do 2\\n" >> "$1"', 'two', log], 'two', rec(log, 'undo 2')),
        step(rec(log, 'do 3'), 'three', rec(log, 'never')),
      ]),
    ),
  );
  await until('step 1', () => lines(log).length === 1);
  process.kill(child.pid!, 'SIGTERM');
  const r = await ended;
  assert.equal(r.code, PLAN_CANCELLED_EXIT, r.stderr);
  assert.match(r.stderr, /^virtnet: cancelled at step 3; undoing$/m);
  assert.deepEqual(lines(log), ['do 1', 'do 2', 'undo 2', 'undo 1']);
});

test('plan script: more TERMs during the undo do not cut it short', async () => {
  const log = join(dir, 'log-slow-undo');
  const slowUndo = ['sh', '-c', 'sleep 1; printf "undo 1\\n" >> "$1"', 'undo', log];
  const { child, ended } = startScript(planToScript(plan([step(rec(log, 'do 1'), 'one', slowUndo), step(['sleep', '30'], 'two', null)])));
  await until('step 1', () => lines(log).length === 1);
  await sleep(100);
  process.kill(-child.pid!, 'SIGTERM');
  // The undo takes a second: keep signalling the group meanwhile.
  for (let i = 0; i < 5; i++) {
    await sleep(100);
    try {
      process.kill(-child.pid!, 'SIGTERM');
    } catch {
      break;
    }
  }
  const r = await ended;
  assert.equal(r.code, PLAN_CANCELLED_EXIT, r.stderr);
  assert.match(r.stderr, /^virtnet: undo finished$/m);
  assert.deepEqual(lines(log), ['do 1', 'undo 1']);
});

test('plan script: a failing step still reports "step N failed", exit 1, undo finished', async () => {
  const log = join(dir, 'log-fail');
  const { ended } = startScript(planToScript(plan([step(rec(log, 'do 1'), 'one', rec(log, 'undo 1')), step(['false'], 'two', rec(log, 'never'))])));
  const r = await ended;
  assert.equal(r.code, 1, r.stderr);
  assert.match(r.stderr, /^virtnet: step 2 failed; undoing$/m);
  assert.match(r.stderr, /^virtnet: undo finished$/m);
  assert.deepEqual(lines(log), ['do 1', 'undo 1']);
});

test('applyPlan on the local executor: cancel during step 2 is reported cancelled and undone, nothing left running', async () => {
  const log = join(dir, 'log-apply');
  const pidFile = join(dir, 'apply.pid');
  const ex = new LocalExecutor();
  const abort = new AbortController();
  const p = plan([
    step(rec(log, 'do 1'), 'one', rec(log, 'undo 1')),
    // Its pid is the run's process group's member we look for afterwards.
    step(['sh', '-c', 'echo $$ > "$1"; exec sleep 30', 'two', pidFile], 'two', rec(log, 'never')),
  ]);
  const pending = applyPlan(ex, p, { signal: abort.signal });
  await until('step 2 to be running', () => existsSync(pidFile) && readFileSync(pidFile, 'utf8').trim() !== '');
  const stepPid = Number(readFileSync(pidFile, 'utf8'));
  const pgid = readProcs().find((x) => x.pid === stepPid)!.pgid;
  abort.abort();
  const r = await pending;
  assert.equal(r.ok, false);
  assert.equal(r.cancelled, true, r.stderr);
  assert.equal(r.cancelledAtStep, 2);
  assert.equal(r.undone, true);
  assert.equal(r.failedStep, null);
  assert.deepEqual(lines(log), ['do 1', 'undo 1']);
  assert.ok(r.durationMs < 25_000, `ended by the cancel, not by sleep 30 (${r.durationMs} ms)`);
  await until("the run's process group to be gone", () => !groupAlive(pgid));
  await ex.dispose();
});

test('applyPlan: a cancel after the script finished reports the real outcome (applied)', async () => {
  const log = join(dir, 'log-late');
  const ex = new LocalExecutor();
  const abort = new AbortController();
  const r = await applyPlan(ex, plan([step(rec(log, 'do 1'), 'one', rec(log, 'undo 1'))]), { signal: abort.signal });
  abort.abort();
  assert.equal(r.ok, true);
  assert.equal(r.cancelled, false);
  assert.deepEqual(lines(log), ['do 1']);
});

test('applyPlan: cancelled before it started: nothing ran, and it says so', async () => {
  const log = join(dir, 'log-early');
  const abort = new AbortController();
  abort.abort();
  const r = await applyPlan(new LocalExecutor(), plan([step(rec(log, 'do 1'), 'one', null)]), { signal: abort.signal });
  assert.deepEqual([r.ok, r.cancelled, r.cancelledAtStep, r.undone], [false, true, 1, true]);
  assert.deepEqual(lines(log), []);
});

test('local executor: a cancel kills the whole process group, background children too', async () => {
  const pidFile = join(dir, 'bg.pid');
  const ex = new LocalExecutor();
  const abort = new AbortController();
  // The background sleep keeps no pipe of ours open, so only the group signal can end it.
  const pending = ex.run(['sh', '-c', 'sleep 30 >/dev/null 2>&1 & echo $! > "$1"; sleep 30', 'bg', pidFile], { signal: abort.signal });
  await until('the background child', () => existsSync(pidFile) && readFileSync(pidFile, 'utf8').trim() !== '');
  const bg = Number(readFileSync(pidFile, 'utf8'));
  const pgid = readProcs().find((x) => x.pid === bg)!.pgid;
  abort.abort();
  await assert.rejects(pending, (e: unknown) => e instanceof CommandError && e.kind === 'cancelled' && e.started);
  await until('the background sleep to be gone', () => !groupAlive(pgid));
  await ex.dispose();
});

test('a cancel returns even when something outside the group keeps the output pipes open', async () => {
  // Like an ssh multiplexing client, whose pipes the master holds until the remote command ends.
  const pidFile = join(dir, 'escaped.pid');
  const ex = new LocalExecutor();
  const abort = new AbortController();
  const pending = ex.run(['sh', '-c', 'setsid sh -c \'echo $$ > "$1"; exec sleep 30\' escaped "$1" & sleep 30', 'hold', pidFile], { signal: abort.signal });
  await until('the escaped child', () => existsSync(pidFile) && readFileSync(pidFile, 'utf8').trim() !== '');
  const escaped = Number(readFileSync(pidFile, 'utf8'));
  try {
    const started = Date.now();
    abort.abort();
    await assert.rejects(pending, (e: unknown) => e instanceof CommandError && e.kind === 'cancelled');
    assert.ok(Date.now() - started < 20_000, 'not held until the escaped child ends');
  } finally {
    process.kill(escaped, 'SIGKILL');
    await ex.dispose();
  }
});

/*
 * The remote side of an SSH cancel, run here: sshd starts each command in a new session, and
 * the SSH transport puts `timeout` outside the tagged wrapper. A detached spawn is such a session.
 */
test("remote cancel script: signals the tagged run's session, spares the wrapper and timeout, which report the status", async () => {
  const tag = newRunTag();
  const pidFile = join(dir, 'remote.pid');
  const argv = [
    'timeout',
    '-k',
    '5',
    '60',
    ...taggedArgv(tag, ['sh', '-c', 'sleep 30 >/dev/null 2>&1 & echo $! > "$1"; timeout 30 sleep 31; exit 9', 'remote', pidFile]),
  ];
  const child = spawn(argv[0]!, argv.slice(1), { detached: true, stdio: 'ignore' });
  const ended = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  // Decoys: the tag in an argument (like the local ssh client's command line) and in another
  // session: neither may be touched.
  const decoy = spawn('sh', ['-c', 'sleep 30', `VIRTNET_RUN=${tag}`], { detached: true, stdio: 'ignore' });
  try {
    await until('the run to start', () => existsSync(pidFile) && readFileSync(pidFile, 'utf8').trim() !== '');
    const bg = Number(readFileSync(pidFile, 'utf8'));
    const sid = child.pid!;
    assert.equal(readProcs().find((x) => x.pid === bg)?.sid, sid);
    // The inner `timeout` made its own process group: a group kill would miss it, a session kill does not.
    await until('the inner timeout', () => readProcs().some((x) => x.sid === sid && x.pgid !== sid));

    const [file, ...args] = signalRunArgv(tag, 'TERM');
    await run(file!, args);
    // The wrapper's child (the sh) died of TERM: status 143 comes back through the wrapper and timeout.
    assert.equal(await ended, 143);
    await until('the session to be empty', () => !readProcs().some((x) => x.sid === sid && x.state !== 'Z'));
    assert.equal(decoy.exitCode, null, 'the decoy is untouched');
  } finally {
    decoy.kill('SIGKILL');
    try {
      process.kill(-child.pid!, 'SIGKILL');
    } catch {
      // already gone
    }
  }
});

test('remote cancel script: the outer timeout is not signalled, so it cannot KILL a slow clean-up', async () => {
  const tag = newRunTag();
  // Signalled, `timeout -k 1` would KILL its group a second later; the command needs two seconds
  // to clean up after TERM and then exits 5.
  const argv = [
    'timeout',
    '-k',
    '1',
    '60',
    ...taggedArgv(tag, ['sh', '-c', 'trap "sleep 2; exit 5" TERM; echo > "$1"; sleep 30 & wait', 'slow', join(dir, 'slow.started')]),
  ];
  const child = spawn(argv[0]!, argv.slice(1), { detached: true, stdio: 'ignore' });
  const ended = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  try {
    await until('the run to start', () => existsSync(join(dir, 'slow.started')));
    const [file, ...args] = signalRunArgv(tag, 'TERM');
    await run(file!, args);
    assert.equal(await ended, 5);
  } finally {
    try {
      process.kill(-child.pid!, 'SIGKILL');
    } catch {
      // already gone
    }
  }
});

test('remote cancel script: an unknown tag signals nothing and succeeds', async () => {
  const [file, ...args] = signalRunArgv(newRunTag(), 'KILL');
  const r = await run(file!, args);
  assert.equal(r.stdout + r.stderr, '');
});
