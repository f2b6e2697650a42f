/**
 * Plan journals, as the next contact reads them: every plan the runner started on a host leaves
 * /run/virtnet/journal/<id>/ (runner.ts), kept a week. The collector prints the newest ones in
 * one section (JOURNAL_SCRIPT, part of the same round trip as every refresh) and claims those
 * whose outcome no client saw (their session died before it could tell anyone): this read is the
 * one that reports them, once. `virtnet journal` lists them all.
 */
import type { PlanRecord, PlanState } from '../model/types';
import { readPlanScript } from './plan';
import { EXIT_BUSY, EXIT_HOST_CHANGED, EXIT_NO_JOURNAL, EXIT_RUN_LOST } from './runner';

/** How many journals a refresh reads (newest first). */
export const JOURNAL_READ_LIMIT = 20;

/**
 * Bash, run by the collector as root. One block per journal: `@@journal <id>`, its meta lines,
 * then state lines (rc=, armed, confirmed, rolledback=<time>, seen, running, claimed) and the
 * run's own `virtnet: ...` lines. Claiming is the only thing a refresh writes: a `seen` mark in
 * VirtNet's own journal, for a finished plan whose client is gone.
 */
export const JOURNAL_SCRIPT =
  String.raw`
journal_read() {
  local J=/run/virtnet/journal j id n=0 c
  [ -d "$J" ] || return 0
  for id in $(ls -r "$J" 2>/dev/null); do
    [ "$n" -lt ` +
  String(JOURNAL_READ_LIMIT) +
  String.raw` ] || break
    j=$J/$id
    [ -f "$j/meta" ] || continue
    n=$((n + 1))
    echo "@@journal $id"
    cat "$j/meta"
    [ -e "$j/rc" ] && echo "rc=$(cat "$j/rc")"
    [ -e "$j/armed" ] && echo "armed=1"
    [ -e "$j/confirmed" ] && echo "confirmed=1"
    [ -e "$j/rolledback" ] && echo "rolledback=$(head -n 1 "$j/rolledback")"
    if [ ! -e "$j/rc" ]; then
      p=$(cat "$j/pid" 2>/dev/null)
      [ -n "$p" ] && kill -0 "$p" 2>/dev/null && echo "running=1"
    fi
    if [ -d "$j/seen" ]; then
      echo "seen=1"
    elif { [ -e "$j/rc" ] && [ ! -e "$j/armed" ]; } || { [ ! -e "$j/rc" ] && ! kill -0 "$(cat "$j/pid" 2>/dev/null)" 2>/dev/null; }; then
      # Finished (or died) and not waiting on the guard. Its own client may still be about to
      # read it: only claim it once that client is gone.
      c=$(cat "$j/client" 2>/dev/null)
      if [ -z "$c" ] || ! kill -0 "$c" 2>/dev/null; then
        mkdir "$j/seen" 2>/dev/null && echo "claimed=1"
      fi
    fi
    grep '^virtnet: ' "$j/out" 2>/dev/null | head -n 40
  done
}
`;

/** Parses the collector's journal section. */
export function parseJournal(text: string): PlanRecord[] {
  const out: PlanRecord[] = [];
  for (const block of text.split(/^@@journal /m).slice(1)) {
    const [id = '', ...lines] = block.split('\n');
    const kv = new Map<string, string>();
    const said: string[] = [];
    for (const l of lines) {
      if (l.startsWith('virtnet: ')) said.push(l);
      else {
        const eq = l.indexOf('=');
        if (eq > 0) kv.set(l.slice(0, eq), l.slice(eq + 1));
      }
    }
    const rcText = kv.get('rc');
    const rc = rcText !== undefined && /^\d+$/.test(rcText) ? Number(rcText) : null;
    const report = readPlanScript(rc, said.join('\n'));
    const rolledBackAt = kv.get('rolledback') ?? null;
    const guarded = Number(kv.get('rollback') ?? '0') > 0;
    let state: PlanState;
    if (rc === null) state = kv.has('running') ? 'running' : 'lost';
    else if (rc === EXIT_HOST_CHANGED) state = 'changed';
    else if (rc === EXIT_BUSY) state = 'busy';
    else if (rc === 0 && rolledBackAt) state = 'rolled-back';
    else if (rc === 0 && kv.has('armed')) state = 'awaiting-confirmation';
    else if (rc === 0) state = 'applied';
    else if (report.cancelledAtStep !== null) state = 'cancelled';
    else if (report.failedStep !== null) state = 'failed';
    else state = rc === EXIT_NO_JOURNAL || rc === EXIT_RUN_LOST ? 'lost' : 'failed';
    out.push({
      id: id.trim(),
      title: kv.get('title') ?? '(untitled)',
      started: kv.get('started') ?? null,
      by: kv.get('by') || null,
      user: kv.get('user') || null,
      steps: Number(kv.get('steps') ?? '0') || 0,
      guarded,
      state,
      exitCode: rc,
      failedStep: report.failedStep,
      cancelledAtStep: report.cancelledAtStep,
      undone: report.undone,
      rolledBackAt,
      changed: said.filter((l) => l.startsWith('virtnet: changed: ')).map((l) => l.slice('virtnet: changed: '.length)),
      notAsPlanned: said.filter((l) => l.startsWith('virtnet: not as planned: ')).map((l) => l.slice('virtnet: not as planned: '.length)),
      seen: kv.has('seen'),
      claimed: kv.has('claimed'),
    });
  }
  return out;
}

/** `14:02` (UTC) of an ISO time, or the text as it is. */
function hhmm(iso: string | null): string {
  const m = iso ? /T(\d\d:\d\d)/.exec(iso) : null;
  return m ? `${m[1]} UTC` : (iso ?? 'at an unknown time');
}

function range(to: number): string {
  return to <= 1 ? 'step 1' : `steps 1-${to}`;
}

/** What became of the plan, in words: "step 6 failed, steps 1-5 undone". */
export function outcomeText(r: PlanRecord): string {
  switch (r.state) {
    case 'running':
      return 'still running';
    case 'applied':
      return `ran to its end${r.notAsPlanned.length ? `, but the host reads back differently: ${r.notAsPlanned.join('; ')}` : ''}`;
    case 'awaiting-confirmation':
      return 'ran to its end; its rollback is armed until a connection confirms it';
    case 'rolled-back':
      return `ran to its end, and the host rolled it back at ${hhmm(r.rolledBackAt)} because no connection confirmed it`;
    case 'failed':
      if (r.failedStep === null) return `failed${r.undone ? ', and what had run was undone' : ''}`;
      return `step ${r.failedStep} failed, ${r.failedStep > 1 ? `${range(r.failedStep - 1)} ${r.undone ? 'undone' : 'not confirmed undone'}` : 'nothing else had run'}`;
    case 'cancelled':
      if (r.cancelledAtStep === null || r.cancelledAtStep <= 1) return 'cancelled before any step ran';
      return `cancelled at step ${r.cancelledAtStep}, ${range(r.cancelledAtStep - 1)} ${r.undone ? 'undone' : 'not confirmed undone'}`;
    case 'changed':
      return `refused, nothing ran: the host had changed (${r.changed.join('; ') || 'see the journal'})`;
    case 'busy':
      return 'refused, nothing ran: another plan held the host';
    case 'lost':
      return 'its run ended without saying how: look at the host';
  }
}

/** One line for a person: "Create bridge brcut, started 14:02 UTC from 10.0.0.5: step 6 failed, steps 1-5 undone". */
export function recordLine(r: PlanRecord): string {
  return `${r.title}, started ${hhmm(r.started)}${r.by ? ` from ${r.by}` : ''}: ${outcomeText(r)}`;
}

/** Whether a record's outcome is one a user must look at (not a plain success). */
export function recordIsBad(r: PlanRecord): boolean {
  return !(r.state === 'applied' && r.notAsPlanned.length === 0) && r.state !== 'running' && r.state !== 'awaiting-confirmation';
}
