/**
 * The connectivity guard. A plan that touches the path carrying the session runs like this:
 *   1. one round trip through the runner (runner.ts), with a rollback window: under the host
 *      lock and after its checks, the run arms a timer, detached from the session, that runs the
 *      plan's undo steps after N seconds unless disarmed; then the plan itself runs, detached
 *      too, so a dropped session cannot stop it half-way;
 *   2. a fresh connection (new TCP, new SSH handshake) disarms the rollback: if it gets through,
 *      the change is kept;
 *   3. if no fresh connection gets through in time, the host restores itself; VirtNet waits past
 *      the deadline, reconnects, and reports what the host did.
 * State lives in the plan's journal (/run/virtnet/journal/<id>/: armed, timer, rolledback). The
 * timer holds the host lock until it is disarmed or has rolled back, so no other plan starts on
 * a change that may still be undone. A rollback nobody came back to ask about is reported once by
 * the next inventory (journal.ts).
 *
 * Cancelling (GuardOptions.signal): before step 1 starts, a cancel means nothing runs
 * (a CommandError of kind `cancelled`, `started` false). From then on it is ignored on purpose:
 * the plan and the timer already run detached on the host, and killing our side would only stop
 * the confirmation, which would turn a good change into a rollback at the deadline. So a guarded
 * apply, once started, ends as usual: confirmed, failed (undone), refused, or rolled back.
 */
import { CommandError } from '../exec/errors';
import type { Executor } from '../exec/types';
import { waitedFor } from './apply';
import { readPlanScript, type Plan } from './plan';
import { EXIT_BUSY, EXIT_HOST_CHANGED, findings, newJournalId, runOnHost } from './runner';

/**
 * Runs on the host over a fresh connection. $1 id; $2 `confirm` (before the deadline: disarm
 * once the plan is done) or `ask` (after it: only report; the host decides). Prints one word:
 * disarmed, running (the plan has not finished: ask again), failed (it undid itself; its output
 * follows), pending (armed, the timer has not acted yet), rolledback (the record follows), unknown.
 */
const DISARM = String.raw`
id=$1
j=/run/virtnet/journal/$id
stop_timer() {
  t=$(cat "$j/timer" 2>/dev/null)
  # The timer's sleep is a child of its sh; kill both so no process is left behind (and the
  # lock the timer holds is released with it).
  [ -n "$t" ] && pkill -P "$t" 2>/dev/null; [ -n "$t" ] && kill "$t" 2>/dev/null
  rm -f "$j/timer"
  if [ -e /run/virtnet/lock.holder ] && grep -qxF "id=$id" /run/virtnet/lock.holder; then rm -f /run/virtnet/lock.holder; fi
}
if [ ! -d "$j" ]; then
  echo unknown
elif [ -e "$j/armed" ] && [ ! -e "$j/rc" ]; then
  echo running
elif [ -e "$j/armed" ] && [ "$(cat "$j/rc")" != 0 ]; then
  rm -f "$j/armed"
  stop_timer
  mkdir "$j/seen" 2>/dev/null
  echo failed
  cat "$j/out" 2>/dev/null
elif [ "$2" = confirm ] && mv "$j/armed" "$j/confirmed" 2>/dev/null; then
  stop_timer
  mkdir "$j/seen" 2>/dev/null
  echo disarmed
elif [ -e "$j/armed" ] || [ -e "$j/rolling-back" ]; then
  echo pending
elif [ -e "$j/rolledback" ]; then
  mkdir "$j/seen" 2>/dev/null
  echo rolledback
  sed -n '1p' "$j/rolledback"
  sed -n '1!p' "$j/rolledback"
elif [ -e "$j/rc" ] && [ "$(cat "$j/rc")" != 0 ]; then
  mkdir "$j/seen" 2>/dev/null
  echo failed
  cat "$j/out" 2>/dev/null
else
  echo unknown
fi
`;

export type GuardOutcome =
  /** Applied, and a fresh connection confirmed the host is still reachable. */
  | { kind: 'confirmed'; applyMs: number; confirmMs: number; id: string; notAsPlanned: string[]; waitedFor: string | null }
  /** A step failed; the plan undid itself (nothing was kept, the guard was disarmed). */
  | { kind: 'failed'; failedStep: number | null; stderr: string; waitedFor?: string | null }
  /** Nothing ran: the host changed since the plan was made, or stayed busy with another plan. */
  | { kind: 'refused'; changed: string[]; busy: boolean; stderr: string; waitedFor?: string | null }
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
  /** Told each step as the host starts it, while the applying session lasts. */
  onStep?: (step: number, of: number) => void;
  /** The journal id to use; a new one by default. */
  id?: string;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function applyGuarded(executor: Executor, plan: Plan, options: GuardOptions): Promise<GuardOutcome> {
  if (options.signal?.aborted) {
    throw new CommandError({
      kind: 'cancelled',
      host: executor.host,
      command: `virtnet guarded plan: ${plan.title}`,
      exitCode: null,
      stdout: '',
      stderr: 'cancelled before anything was sent to the host',
      durationMs: 0,
      started: false,
    });
  }
  const id = options.id ?? newJournalId();
  const say = options.log ?? (() => {});
  const started = Date.now();
  const deadline = started + options.rollbackSeconds * 1000;
  say(`arming a ${options.rollbackSeconds} s rollback on the host (journal ${id}) and applying`);
  let applyOut = '';
  let rc: number | null = null;
  try {
    // The session may die with the change; the host carries on without us.
    const r = await runOnHost(executor, plan, {
      id,
      rollbackSeconds: options.rollbackSeconds,
      timeoutMs: Math.max(5, Math.min(20, options.rollbackSeconds / 2)) * 1000,
      onStep: options.onStep,
    });
    applyOut = r.stdout + r.stderr;
    rc = r.exitCode;
  } catch (err) {
    // Refusals (sudo, auth, host key, missing program) come before anything ran: report them.
    // Losing the session or timing out is what the guard is for: go on and confirm.
    if (err instanceof CommandError && !['unreachable', 'timeout'].includes(err.kind)) {
      throw err;
    }
    say(`the session ended during apply: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}`);
  }
  if (rc === EXIT_HOST_CHANGED || rc === EXIT_BUSY) {
    return { kind: 'refused', changed: findings(applyOut, 'changed'), busy: rc === EXIT_BUSY, stderr: applyOut };
  }
  if (rc !== null && rc !== 0) {
    return { kind: 'failed', failedStep: readPlanScript(rc, applyOut).failedStep, stderr: applyOut };
  }
  const applyMs = Date.now() - started;
  const notAsPlanned = findings(applyOut, 'not as planned');

  const failed = (out: string): GuardOutcome => {
    const code = /^virtnet: the host changed since/m.test(out) ? EXIT_HOST_CHANGED : /^virtnet: busy: /m.test(out) ? EXIT_BUSY : 1;
    if (code !== 1) return { kind: 'refused', changed: findings(out, 'changed'), busy: code === EXIT_BUSY, stderr: out };
    return { kind: 'failed', failedStep: readPlanScript(1, out).failedStep, stderr: out };
  };

  // Confirm over a fresh connection, retrying until shortly before the rollback fires. A plan
  // still running (the session timed out before it finished) is waited for: confirming then
  // would keep steps that have not run yet.
  while (Date.now() < deadline - 2000) {
    const fresh = options.freshExecutor();
    try {
      const left = deadline - Date.now() - 1000;
      const r = await fresh.run(['sh', '-c', DISARM, 'virtnet-disarm', id, 'confirm'], {
        root: true,
        timeoutMs: Math.max(2000, Math.min(15_000, left)),
        label: `virtnet guard: confirm ${id}`,
      });
      const [word, ...rest] = r.stdout.split('\n');
      if (word === 'disarmed')
        return { kind: 'confirmed', applyMs, confirmMs: Date.now() - started - applyMs, id, notAsPlanned, waitedFor: waitedFor(applyOut) };
      if (word === 'rolledback') return { kind: 'rolled-back', detail: rest.join('\n').trim() };
      if (word === 'failed') return failed(rest.join('\n'));
      if (word === 'running' || word === 'pending') {
        say(word === 'running' ? 'the plan is still running on the host' : 'the host is deciding; asking again');
        await sleep(1000);
        continue;
      }
      return { kind: 'unreachable', detail: `the host has no journal ${id}` };
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
      const r = await fresh.run(['sh', '-c', DISARM, 'virtnet-disarm', id, 'ask'], { root: true, timeoutMs: 15_000, label: `virtnet guard: ask ${id}` });
      const [word, ...rest] = r.stdout.split('\n');
      if (word === 'rolledback') return { kind: 'rolled-back', detail: rest.join('\n').trim() };
      if (word === 'failed') return failed(rest.join('\n'));
      if (word === 'running' || word === 'pending') {
        await sleep(2000);
        continue;
      }
      return { kind: 'unreachable', detail: `reached the host, but it has no journal ${id}` };
    } catch {
      misses++;
      await sleep(2000);
    } finally {
      await fresh.dispose();
    }
  }
  return { kind: 'unreachable', detail: `no connection to the host ${options.rollbackSeconds} s after the change, even after its rollback time` };
}
