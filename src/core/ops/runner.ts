/**
 * The host-side runner: how every plan runs, plain or under the connectivity guard. In one round
 * trip the client sends the plan (its checks, steps, undo and read-back) and a small program that
 *   1. writes them into a journal, /run/virtnet/journal/<id>/, and starts the run detached from
 *      the SSH session (its own session; output to the journal; HUP and SIGPIPE ignored), so a
 *      lost connection never stops a plan half-way: it runs to its end, or undoes every done step;
 *   2. stays in the session and waits for the run, then prints the run's output and exits with
 *      its status: what the client reads. A cancel is a second request naming the journal.
 * The run takes the host lock (/run/virtnet/lock, flock) first, waiting while another plan holds
 * it, so two windows (or a window and the CLI) never interleave plans; then it checks the plan's
 * `before` facts (exit 4 and nothing runs if the host changed), runs the steps (the plan script
 * undoes itself on failure or cancel), and reads its `after` facts back ("not as planned" lines).
 * Under the guard the run arms a rollback timer first; the timer holds the lock until a fresh
 * connection disarms it (guard.ts) or it rolls the plan back.
 *
 * The journal stays a week (/run clears at reboot); the next contact that finds a finished plan
 * whose client is gone reports it once (the collector claims it, journal.ts reads it).
 *
 * Exit statuses: those of the plan script (0, 1 failed and undone, 130 cancelled and undone),
 * 4 the host changed (nothing ran), 5 the host stayed busy (nothing ran), 70 the journal could not
 * be written, 75 the run died without saying how it ended (the host's state is unknown).
 */
import { randomBytes } from 'node:crypto';
import type { Executor, RunResult } from '../exec/types';
import { factsScript } from './facts';
import { PLAN_CANCELLED_EXIT, planToScript, undoScript, type Plan } from './plan';

export const VIRTNET_RUN_DIR = '/run/virtnet';
export const JOURNAL_DIR = `${VIRTNET_RUN_DIR}/journal`;
export const LOCK_FILE = `${VIRTNET_RUN_DIR}/lock`;

export const EXIT_HOST_CHANGED = 4;
export const EXIT_BUSY = 5;
export const EXIT_NO_JOURNAL = 70;
export const EXIT_RUN_LOST = 75;

/** How long a plan waits for the host lock before it gives up (nothing ran). */
export const LOCK_WAIT_SECONDS = 120;

/**
 * The detached part, written to the journal as lib.sh. `run J SECONDS`: the plan; `timer J
 * SECONDS`: the guard's rollback. The run ignores HUP and PIPE (the channel going away must not
 * end it) and only notes TERM/INT: a cancel reaches the plan script through the process group,
 * and this shell stays to record how it ended.
 */
const LIB =
  String.raw`
set -u
export LC_ALL=C
d=/run/virtnet
finish() {
  echo "$1" > "$j/rc.tmp" && mv -f "$j/rc.tmp" "$j/rc"
  exit 0
}
holder() {
  if [ -e "$d/lock.holder" ]; then
    t=$(sed -n 's/^title=//p' "$d/lock.holder"); s=$(sed -n 's/^started=//p' "$d/lock.holder"); b=$(sed -n 's/^by=//p' "$d/lock.holder")
    echo "\"$t\" (started $s$( [ -n "$b" ] && echo " from $b"))"
  else
    echo "another plan"
  fi
}
release() {
  # Only our own note: a later plan may already hold the lock.
  if [ -e "$d/lock.holder" ] && grep -qxF "id=$id" "$d/lock.holder"; then rm -f "$d/lock.holder"; fi
}
stop_timer() {
  t=$(cat "$j/timer" 2>/dev/null)
  # The timer's sleep is a child of its sh; kill both so no process is left behind.
  [ -n "$t" ] && pkill -P "$t" 2>/dev/null; [ -n "$t" ] && kill "$t" 2>/dev/null
  rm -f "$j/timer"
}
case $1 in
run)
  j=$2 secs=$3 id=$(basename "$2") stop=
  trap '' HUP PIPE
  trap 'stop=1' TERM INT
  exec >> "$j/out" 2>&1 < /dev/null
  exec 9>> "$d/lock"
  if ! flock -n 9; then
    echo "virtnet: waiting for the host lock: it is held by $(holder)"
    flock -w ` +
  String(LOCK_WAIT_SECONDS) +
  String.raw` 9
    got=$?
    if [ -n "$stop" ]; then echo "virtnet: cancelled at step 1; undoing"; echo "virtnet: undo finished"; finish 130; fi
    [ "$got" = 0 ] || { echo "virtnet: busy: the host lock is still held by $(holder) after ` +
  String(LOCK_WAIT_SECONDS) +
  String.raw` s; nothing ran"; finish 5; }
  fi
  { echo "id=$id"; cat "$j/meta"; } > "$d/lock.holder"
  # 9>&-: nothing a plan starts (a DHCP client stays as a daemon) may keep the lock.
  sh "$j/check.sh" 9>&-
  changed=$?
  if [ -n "$stop" ]; then echo "virtnet: cancelled at step 1; undoing"; echo "virtnet: undo finished"; release; finish 130; fi
  [ "$changed" = 0 ] || { echo "virtnet: the host changed since the plan was made; nothing ran"; release; finish 4; }
  if [ "$secs" -gt 0 ]; then
    : > "$j/armed"
    # Detached again, so a cancel of the run never reaches it; it keeps the lock (fd 9).
    setsid sh "$j/lib.sh" timer "$j" "$secs" < /dev/null > /dev/null 2>&1 &
    echo $! > "$j/timer"
    echo "virtnet: rollback armed: $secs s"
  fi
  sh "$j/plan.sh" 9>&-
  rc=$?
  [ "$rc" = 0 ] && sh "$j/verify.sh" 9>&-
  if [ "$secs" -gt 0 ] && [ "$rc" != 0 ]; then
    # The plan undid itself: nothing left to roll back.
    rm -f "$j/armed"; stop_timer
  fi
  [ "$secs" -gt 0 ] && [ -e "$j/armed" ] || release
  finish "$rc"
  ;;
timer)
  j=$2 id=$(basename "$2")
  sleep "$3"
  # A plan still running at the deadline (DHCP behind STP can be slow) finishes first: undo
  # must not race it.
  n=0
  while [ ! -e "$j/rc" ] && [ "$n" -lt 600 ]; do sleep 1; n=$((n + 1)); done
  # mv is the claim: the timer and a late confirmation cannot both win.
  if mv "$j/armed" "$j/rolling-back" 2>/dev/null; then
    { date -u +%Y-%m-%dT%H:%M:%SZ; sh "$j/undo.sh" 2>&1 9>&-; } > "$j/rolledback.tmp"
    mv -f "$j/rolledback.tmp" "$j/rolledback"
    rm -f "$j/rolling-back"
  fi
  rm -f "$j/timer"
  release
  ;;
esac
`;

/**
 * The part that runs in the session. $1 id, $2 title, $3 check, $4 plan, $5 undo, $6 verify,
 * $7 rollback seconds (0: no guard), $8 the library above.
 */
const START = String.raw`
c=$SSH_CONNECTION
set -u
export LC_ALL=C
umask 077
J=/run/virtnet/journal
j=$J/$1
mkdir -p "$J" && chmod 700 /run/virtnet "$J" && mkdir "$j" || { echo "virtnet: cannot write the journal $j" >&2; exit 70; }
# A week of journals; /run clears at reboot anyway.
find "$J" -mindepth 1 -maxdepth 1 -type d -mtime +7 -exec rm -rf {} + 2>/dev/null
printf '%s' "$3" > "$j/check.sh"
printf '%s' "$4" > "$j/plan.sh"
printf '%s' "$5" > "$j/undo.sh"
printf '%s' "$6" > "$j/verify.sh"
printf '%s' "$8" > "$j/lib.sh"
{
  echo "title=$2"
  echo "started=$(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "by=$(printf '%s' "$c" | sed 's/ .*//')"
  echo "user=$(id -un)"
  echo "rollback=$7"
  echo "steps=$(grep -c '^check [0-9]' "$j/plan.sh")"
} > "$j/meta"
echo $$ > "$j/client"
# The output file exists before the run starts, so the follower below never races its creation
# (tail -f on a missing file gives up, and progress would come only at the end).
: > "$j/out"
setsid sh "$j/lib.sh" run "$j" "$7" < /dev/null > /dev/null 2>&1 &
pid=$!
echo "$pid" > "$j/pid"
# This shell only waits and passes the run's output on, step by step while the client listens
# (GNU tail follows the journal until the run ends). Whatever ends it (the connection going
# away, the client's own time limit) leaves the run going; a cancel is a separate request naming
# the journal (CANCEL).
trap '' HUP
told=
if tail --help 2>&1 | grep -q -- --pid; then
  tail -n +1 -s 0.05 --pid="$pid" -f "$j/out" >&2 && told=1
fi
while :; do
  wait "$pid" 2>/dev/null
  [ -e "$j/rc" ] && break
  kill -0 "$pid" 2>/dev/null || break
done
rc=$(cat "$j/rc" 2>/dev/null || echo 75)
if [ -z "$told" ]; then cat "$j/out" >&2 && told=1; elif [ ! -e "$j/rc" ]; then told=; fi
# A last line: a client that is gone (its connection closed) makes this write fail, even when
# the plan itself printed nothing after it went.
[ -n "$told" ] && { printf 'virtnet: run %s ended\n' "$1" >&2 || told=; }
# Delivered to this client (the writes did not fail): nobody needs to be told again. Not for a
# guarded plan: its outcome is the confirmation's or the rollback's, which the guard reports.
[ -n "$told" ] && [ "$7" = 0 ] && mkdir "$j/seen" 2>/dev/null
exit "$rc"
`;

/**
 * Cancels the run of journal $1: TERM to its process group (the plan script and its current
 * step), which undoes the steps done and ends with exit 130. Nothing once the run has ended.
 */
const CANCEL = String.raw`
j=/run/virtnet/journal/$1
p=$(cat "$j/pid" 2>/dev/null)
[ -n "$p" ] && [ ! -e "$j/rc" ] && kill -s TERM -- "-$p" 2>/dev/null
exit 0
`;

export function cancelRunArgv(id: string): string[] {
  return ['sh', '-c', CANCEL, 'virtnet-cancel-plan', id];
}

/** A journal id: sortable by time, unique, and made of characters no shell or path cares about. */
export function newJournalId(now = new Date()): string {
  return `${now
    .toISOString()
    .replace(/\.\d+Z$/, 'Z')
    .replace(/[-:]/g, '')}-${randomBytes(4).toString('hex')}`;
}

export interface RunOnHostOptions {
  /** 0 (default): plain. Otherwise the guard's rollback window in seconds. */
  rollbackSeconds?: number;
  timeoutMs: number;
  /** Told each step as the host starts it (1-based, and the number of steps). */
  onStep?: (step: number, of: number) => void;
  /** The journal id; a new one by default. */
  id?: string;
}

/** The argv that runs `plan` on the host through the runner. */
export function runnerArgv(plan: Plan, id: string, rollbackSeconds = 0): string[] {
  return [
    'sh',
    '-c',
    START,
    'virtnet-runner',
    id,
    plan.title.replace(/\n/g, ' '),
    factsScript(plan.before, 'changed', EXIT_HOST_CHANGED),
    planToScript(plan),
    undoScript(plan),
    factsScript(plan.after, 'not as planned', 0),
    String(rollbackSeconds),
    LIB,
  ];
}

/** Runs `plan` on the host through the runner (as root); the result is the session's view. */
export async function runOnHost(executor: Executor, plan: Plan, options: RunOnHostOptions): Promise<RunResult & { id: string }> {
  const id = options.id ?? newJournalId();
  const r = await executor.run(runnerArgv(plan, id, options.rollbackSeconds ?? 0), {
    root: true,
    allowFailure: true,
    timeoutMs: options.timeoutMs,
    onStderr: options.onStep ? stepReader(options.onStep) : undefined,
    label: `virtnet plan: ${plan.title} (${plan.steps.length} steps${options.rollbackSeconds ? `, rollback in ${options.rollbackSeconds} s` : ''}; journal ${id})`,
  });
  return { ...r, id };
}

/** Turns streamed stderr into step numbers (`virtnet: step N of M` lines, see planToScript). */
function stepReader(onStep: (step: number, of: number) => void): (chunk: string) => void {
  let partial = '';
  return (chunk) => {
    const lines = (partial + chunk).split('\n');
    partial = lines.pop() ?? '';
    for (const l of lines) {
      const m = /^virtnet: step (\d+) of (\d+)$/.exec(l);
      if (m) onStep(Number(m[1]), Number(m[2]));
    }
  };
}

/** The lines of a run's output that say the host is not as the plan expected (before or after). */
export function findings(output: string, label: 'changed' | 'not as planned'): string[] {
  const prefix = `virtnet: ${label}: `;
  return output
    .split('\n')
    .filter((l) => l.startsWith(prefix))
    .map((l) => l.slice(prefix.length));
}

export { PLAN_CANCELLED_EXIT };
