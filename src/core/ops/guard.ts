/**
 * The connectivity guard. A plan that touches the path carrying the session runs like this:
 *   1. one round trip: a rollback is armed on the host, detached from the session (setsid), that
 *      runs the plan's undo steps after N seconds unless disarmed; then the plan itself runs,
 *      also detached, so a dropped session cannot stop it half-way;
 *   2. a fresh connection (new TCP, new SSH handshake) disarms the rollback: if it gets through,
 *      the change is kept;
 *   3. if no fresh connection gets through in time, the host restores itself; VirtNet waits past
 *      the deadline, reconnects, and reports what the host did.
 * State lives in /run/virtnet/<id>.* on the host and is removed once the outcome is known. A
 * rollback nobody came back to ask about stays as <id>.rolledback, which every inventory reports.
 *
 * Cancelling (GuardOptions.signal): before step 1 starts, a cancel means nothing runs
 * (a CommandError of kind `cancelled`, `started` false). From then on it is ignored on purpose:
 * the plan and the timer already run detached on the host, and killing our side would only stop
 * the confirmation, which would turn a good change into a rollback at the deadline. So a guarded
 * apply, once started, ends as usual: confirmed, failed (undone), or rolled back.
 */
import { randomBytes } from 'node:crypto';
import { CommandError } from '../exec/errors';
import type { Executor } from '../exec/types';
import { shJoin } from '../exec/quote';
import { planToScript, type Plan } from './plan';

/**
 * Runs on the host as root. $1 id, $2 seconds, $3 the plan script, $4 the undo script.
 * Prints `virtnet-guard armed` first, then the plan's output and `virtnet-guard rc=N`.
 */
const ARM_AND_APPLY = String.raw`
set -u
d=/run/virtnet
mkdir -p "$d" && chmod 700 "$d"
p="$d/$1"
printf '%s' "$3" > "$p.apply"
printf '%s' "$4" > "$p.undo"
: > "$p.armed"
# The timer: detached from this session, it survives the connection dropping. A plan still
# running at the deadline (DHCP behind STP can be slow) is let finish first: undo must not race it.
setsid sh -c '
  sleep "$1"
  n=0
  while [ ! -e "$2.rc" ] && [ "$n" -lt 600 ]; do sleep 1; n=$((n + 1)); done
  if [ -e "$2.armed" ]; then
    rm -f "$2.armed"
    # The record the next contact reads (DISARM, or any inventory): when, what, what undo said.
    { date -u +%Y-%m-%dT%H:%M:%SZ; sed -n "2s/^# Rollback of: //p" "$2.undo"; sh "$2.undo" 2>&1; } > "$2.record"
    mv "$2.record" "$2.rolledback"
    rm -f "$2.apply" "$2.undo" "$2.out" "$2.rc"
  fi
  rm -f "$2.timer"' virtnet-guard "$2" "$p" < /dev/null > /dev/null 2>&1 &
echo $! > "$p.timer"
echo "virtnet-guard armed"
# The plan, detached too: if the session dies mid-way the plan still ends (done, or undone), and
# leaves its exit status in $p.rc for whoever asks next.
setsid sh -c 'sh "$1.apply" > "$1.out" 2>&1; echo $? > "$1.rc.tmp"; mv "$1.rc.tmp" "$1.rc"' virtnet-guard-plan "$p" < /dev/null > /dev/null 2>&1 &
wait $!
rc=$(cat "$p.rc" 2>/dev/null || echo 1)
cat "$p.out"
if [ "$rc" != 0 ]; then
  # The plan undid itself: nothing left to roll back.
  rm -f "$p.armed"
  t=$(cat "$p.timer" 2>/dev/null)
  [ -n "$t" ] && pkill -P "$t" 2>/dev/null; [ -n "$t" ] && kill "$t" 2>/dev/null
  rm -f "$p".*
fi
echo "virtnet-guard rc=$rc"
`;

/**
 * Runs on the host over a fresh connection. $1 id; $2 `confirm` (before the deadline: disarm
 * once the plan is done) or `ask` (after it: only report; the host decides). Prints one word:
 * disarmed, running (the plan has not finished: ask again), failed (it undid itself; its output
 * follows), pending (armed, the timer has not acted yet), rolledback (the record follows), unknown.
 */
const DISARM = String.raw`
p=/run/virtnet/$1
stop_timer() {
  t=$(cat "$p.timer" 2>/dev/null)
  # The timer's sleep is a child of its sh; kill both so no process is left behind.
  [ -n "$t" ] && pkill -P "$t" 2>/dev/null; [ -n "$t" ] && kill "$t" 2>/dev/null
}
if [ -e "$p.armed" ] && [ ! -e "$p.rc" ]; then
  echo running
elif [ -e "$p.armed" ] && [ "$(cat "$p.rc")" != 0 ]; then
  rm -f "$p.armed"
  stop_timer
  echo failed
  cat "$p.out" 2>/dev/null
  rm -f "$p".*
elif [ -e "$p.armed" ] && [ "$2" = confirm ]; then
  rm -f "$p.armed"
  stop_timer
  rm -f "$p".*
  echo disarmed
elif [ -e "$p.armed" ]; then
  echo pending
elif [ -e "$p.rolledback" ]; then
  echo rolledback
  cat "$p.rolledback"
  rm -f "$p".*
else
  echo unknown
fi
`;

export type GuardOutcome =
  /** Applied, and a fresh connection confirmed the host is still reachable. */
  | { kind: 'confirmed'; applyMs: number; confirmMs: number }
  /** A step failed; the plan undid itself (nothing was kept, the guard was disarmed). */
  | { kind: 'failed'; failedStep: number | null; stderr: string }
  /** No fresh connection got through in time; the host restored itself and said so. */
  | { kind: 'rolled-back'; detail: string }
  /** The host could not be reached even after the rollback time. */
  | { kind: 'unreachable'; detail: string };

export interface GuardOptions {
  rollbackSeconds: number;
  /** Opens a brand-new connection to the host (no shared master). */
  freshExecutor: () => Executor;
  log?: (message: string) => void;
  /** Honoured only before anything is sent to the host (see the top of this file). */
  signal?: AbortSignal;
}

/** What a change's settling time depends on: STP's listening+learning and a DHCP exchange. */
export interface Settle {
  stp?: boolean;
  /** Seconds; the kernel's default of 15 when unknown. */
  forwardDelay?: number;
  dhcp?: boolean;
}

/** Rollback time above 2 x forward delay with STP, plus a DHCP exchange, with margin; at least 30 s. */
export function automaticRollbackSeconds(settle: Settle): number {
  const stp = settle.stp ? 2 * (settle.forwardDelay ?? 15) : 0;
  return Math.max(30, stp + (settle.dhcp ? 30 : 0) + 20);
}

/** The undo steps of the whole plan, newest first, each allowed to fail. */
export function undoScript(plan: Plan): string {
  const lines = ['#!/bin/sh', `# Rollback of: ${plan.title.replace(/\n/g, ' ')}`];
  for (const s of [...plan.steps].reverse()) {
    if (s.undo) lines.push(`${shJoin(s.undo)} || true`);
  }
  return `${lines.join('\n')}\n`;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function applyGuarded(executor: Executor, plan: Plan, options: GuardOptions): Promise<GuardOutcome> {
  if (options.signal?.aborted) {
    throw new CommandError({ kind: 'cancelled', host: executor.host, command: `virtnet guarded plan: ${plan.title}`, exitCode: null, stdout: '', stderr: 'cancelled before anything was sent to the host', durationMs: 0, started: false });
  }
  const id = `guard-${randomBytes(6).toString('hex')}`;
  const say = options.log ?? (() => {});
  const started = Date.now();
  const deadline = started + options.rollbackSeconds * 1000;
  say(`arming a ${options.rollbackSeconds} s rollback on the host (${id}) and applying`);
  let applyOut = '';
  try {
    const r = await executor.run(['sh', '-c', ARM_AND_APPLY, 'virtnet-guard', id, String(options.rollbackSeconds), planToScript(plan), undoScript(plan)], {
      root: true,
      allowFailure: true,
      // The session may die with the change; the host carries on without us.
      timeoutMs: Math.max(5, Math.min(20, options.rollbackSeconds / 2)) * 1000,
      label: `virtnet guarded plan: ${plan.title} (${plan.steps.length} steps, rollback in ${options.rollbackSeconds} s)`,
    });
    applyOut = r.stdout + r.stderr;
  } catch (err) {
    // Refusals (sudo, auth, host key, missing program) come before anything ran: report them.
    // Losing the session or timing out is what the guard is for: go on and confirm.
    if (err instanceof CommandError && !['unreachable', 'timeout'].includes(err.kind)) {
      throw err;
    }
    say(`the session ended during apply: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}`);
  }
  const rc = /virtnet-guard rc=(\d+)/.exec(applyOut);
  if (rc && rc[1] !== '0') {
    const m = /virtnet: step (\d+) failed/.exec(applyOut);
    return { kind: 'failed', failedStep: m ? Number(m[1]) : null, stderr: applyOut.replace(/virtnet-guard [^\n]*\n?/g, '') };
  }
  const applyMs = Date.now() - started;

  const failed = (out: string): GuardOutcome => {
    const m = /virtnet: step (\d+) failed/.exec(out);
    return { kind: 'failed', failedStep: m ? Number(m[1]) : null, stderr: out };
  };

  // Confirm over a fresh connection, retrying until shortly before the rollback fires. A plan
  // still running (the session timed out before it finished) is waited for: confirming then
  // would keep steps that have not run yet.
  while (Date.now() < deadline - 2000) {
    const fresh = options.freshExecutor();
    try {
      const left = deadline - Date.now() - 1000;
      const r = await fresh.run(['sh', '-c', DISARM, 'virtnet-disarm', id, 'confirm'], { root: true, timeoutMs: Math.max(2000, Math.min(15_000, left)) });
      const [word, ...rest] = r.stdout.split('\n');
      if (word === 'disarmed') return { kind: 'confirmed', applyMs, confirmMs: Date.now() - started - applyMs };
      if (word === 'rolledback') return { kind: 'rolled-back', detail: rest.join('\n').trim() };
      if (word === 'failed') return failed(rest.join('\n'));
      if (word === 'running') {
        say('the plan is still running on the host');
        await sleep(1000);
        continue;
      }
      return { kind: 'unreachable', detail: `the host does not know guard ${id}` };
    } catch (err) {
      say(`fresh connection failed: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}`);
      await sleep(1000);
    } finally {
      await fresh.dispose();
    }
  }

  // Not confirmed: the host rolls itself back at the deadline (once the plan has finished). Ask
  // it what it did, without disarming anything.
  say('no confirmation got through: waiting for the host to roll itself back');
  await sleep(Math.max(0, deadline - Date.now()) + 3000);
  let misses = 0;
  const giveUp = Date.now() + 11 * 60_000;
  while (misses < 5 && Date.now() < giveUp) {
    const fresh = options.freshExecutor();
    try {
      const r = await fresh.run(['sh', '-c', DISARM, 'virtnet-disarm', id, 'ask'], { root: true, timeoutMs: 15_000 });
      const [word, ...rest] = r.stdout.split('\n');
      if (word === 'rolledback') return { kind: 'rolled-back', detail: rest.join('\n').trim() };
      if (word === 'failed') return failed(rest.join('\n'));
      if (word === 'running' || word === 'pending') {
        await sleep(2000);
        continue;
      }
      return { kind: 'unreachable', detail: `reached the host, but it has no record of guard ${id}` };
    } catch {
      misses++;
      await sleep(2000);
    } finally {
      await fresh.dispose();
    }
  }
  return { kind: 'unreachable', detail: `no connection to the host ${options.rollbackSeconds} s after the change, even after its rollback time` };
}
