/**
 * Plans: what an operation will do, as data. The preview shows these steps, the applier runs
 * exactly these steps, and tests read these steps; nothing else decides what runs.
 *
 * A plan runs as root, as one script, under the host's lock (see runner.ts): first its `before`
 * facts are checked (the host must still be as the plan was made from), then its steps, then its
 * `after` facts (what it promised) are read back and any difference reported.
 */
import { shJoin } from '../exec/quote';
import type { Fact } from './facts';
import type { Settle } from './settle';

/** What a step touches, for grouping and the short preview. */
export type StepKind = 'link' | 'address' | 'route' | 'dhcp' | 'file' | 'check' | 'config' | 'libvirt' | 'sysfs' | 'firewall';

export interface Step {
  /** The command, as argv. */
  argv: string[];
  /** One line: why this step is there. */
  why: string;
  /** The command that reverts this step, or null when nothing needs reverting. */
  undo: string[] | null;
  kind: StepKind;
  /**
   * The step in one short line for previews (`write /etc/systemd/network/05-virtnet-br5.netdev`).
   * The exact argv is one click or `--verbose` away; what runs is always the argv.
   */
  display: string;
  /** Changes the interface or route that carries the current connection to the host. */
  touchesConnection: boolean;
  /**
   * The document the step hands to the host (a libvirt XML definition, or its diff against the
   * one it replaces), for previews to show whole; what runs is still the argv, which carries it.
   */
  document?: { label: string; text: string };
}

export interface Plan {
  title: string;
  steps: Step[];
  /** Things the user should know before approving (shown with the preview). */
  warnings: string[];
  /**
   * What the plan was made from (this interface exists with this master; that name is free). The
   * host checks them under its lock before the first step; if one no longer holds, nothing runs.
   */
  before: Fact[];
  /** What the plan promises once it has run; read back on the host right after the last step. */
  after: Fact[];
  /** How long traffic may pause after the plan (STP, DHCP): the rollback window's input. */
  settle: Settle;
}

/** Input a planner refuses: every problem at once, nothing planned, nothing run. */
export class PlanInputError extends Error {
  constructor(readonly problems: string[]) {
    super(problems.join('; '));
    this.name = 'PlanInputError';
  }
}

/** The longest one-line display a step may fall back to (its own argv); longer needs a display. */
export const DISPLAY_MAX = 120;

function kindOf(argv: readonly string[]): StepKind {
  const [cmd, sub] = argv;
  if (cmd === 'ip' && sub === 'addr') return 'address';
  if (cmd === 'ip' && sub === 'route') return 'route';
  if (cmd === 'ip') return 'link';
  if (cmd === 'virsh') return 'libvirt';
  if (cmd === 'nft' || cmd === 'iptables' || cmd === 'ip6tables') return 'firewall';
  return 'config';
}

export interface StepFlags {
  kind?: StepKind;
  touchesConnection?: boolean;
  /** Required when the argv is a script or longer than DISPLAY_MAX. */
  display?: string;
  document?: { label: string; text: string };
}

export function step(argv: string[], why: string, undo: string[] | null, flags: StepFlags = {}): Step {
  const full = shJoin(argv);
  const display = flags.display ?? full;
  if (display.includes('\n') || display.length > DISPLAY_MAX) {
    // A planner bug, not user input: every long step names itself in a line.
    throw new Error(`step "${why}" needs a one-line display (its command is ${full.length} characters)`);
  }
  return {
    argv,
    why,
    undo,
    kind: flags.kind ?? kindOf(argv),
    display,
    touchesConnection: flags.touchesConnection ?? false,
    ...(flags.document ? { document: flags.document } : {}),
  };
}

/** A plan with nothing to check before or after and nothing to settle. */
export function plan(title: string, steps: Step[], rest: Partial<Omit<Plan, 'title' | 'steps'>> = {}): Plan {
  return { title, steps, warnings: rest.warnings ?? [], before: rest.before ?? [], after: rest.after ?? [], settle: rest.settle ?? {} };
}

export function touchesConnection(p: Plan): boolean {
  return p.steps.some((s) => s.touchesConnection);
}

/** The exit status of a plan script that was stopped (TERM, INT or HUP) and undid its steps. */
export const PLAN_CANCELLED_EXIT = 130;

/**
 * The plan as a standalone shell script (for "copy as script" and config management, and what
 * the applier runs): each step runs in order; on the first failure, or when the script is stopped
 * by TERM, INT or HUP, the undo steps of the steps already done run, newest first. Every word is
 * quoted by the one audited function.
 *
 * What it says on stderr, and how it exits (readPlanScript reads it back):
 * - `virtnet: step N of M` before each step;
 * - `virtnet: step N failed; undoing` ... `virtnet: undo finished`, exit 1;
 * - `virtnet: cancelled at step N; undoing` ... `virtnet: undo finished`, exit 130: steps 1..N-1
 *   were done and are undone; step N was interrupted or had not started;
 * - a signal that comes once the last step has finished changes nothing: exit 0.
 *
 * Why a flag: a trap only runs between commands, so it could land after a step finished but
 * before its undo was recorded. The trap just notes the signal; the script checks the note
 * before each step, when the undo list is exactly the steps done. A step killed by the same
 * signal (status 129, 130 or 143) may end before the shell sees its own signal, so that status
 * also counts as stopped. While undoing, the signals are ignored, and the undo commands inherit
 * that, so a repeated TERM cannot cut the undo short.
 */
export function planToScript(p: Plan): string {
  const n = p.steps.length;
  const lines = [
    '#!/bin/sh',
    `# ${p.title.replace(/\n/g, ' ')}`,
    '# Generated by VirtNet: runs each step; on a failure, or when stopped (TERM, INT, HUP),',
    '# undoes the steps already done, newest first.',
    'set -u',
    'undo=:',
    'stop=',
    "trap 'stop=1' HUP INT TERM",
    'undo_all() { trap \'\' HUP INT TERM; echo "virtnet: $1; undoing" >&2; eval "$undo"; echo "virtnet: undo finished" >&2; exit "$2"; }',
    `stopped() { undo_all "cancelled at step $1" ${PLAN_CANCELLED_EXIT}; }`,
    `check() { [ -z "$stop" ] || stopped "$1"; echo "virtnet: step $1 of ${n}" >&2; }`,
    'fail() { case "$stop:$2" in 1:*|*:129|*:130|*:143) stopped "$1" ;; esac; undo_all "step $1 failed" 1; }',
  ];
  p.steps.forEach((s, i) => {
    lines.push(`# ${i + 1}. ${s.why.replace(/\n/g, ' ')}`);
    lines.push(`check ${i + 1}`);
    lines.push(`${shJoin(s.argv)} || fail ${i + 1} $?`);
    if (s.undo) {
      // Undo commands run newest first: prepend to the list.
      lines.push(`undo=${shJoin([`${shJoin(s.undo)}; `])}"$undo"`);
    }
  });
  return `${lines.join('\n')}\n`;
}

/** The undo steps of the whole plan, newest first, each allowed to fail (the guard's rollback). */
export function undoScript(p: Plan): string {
  const lines = ['#!/bin/sh', `# Rollback of: ${p.title.replace(/\n/g, ' ')}`];
  for (const s of [...p.steps].reverse()) {
    if (s.undo) lines.push(`${shJoin(s.undo)} || true`);
  }
  return `${lines.join('\n')}\n`;
}

/** What a plan script's exit status and its own lines say happened. */
export interface ScriptReport {
  /** Every step ran. */
  ok: boolean;
  /** The step that failed (undo followed), or null. */
  failedStep: number | null;
  /** The step at which a stop landed (steps before it were undone), or null. */
  cancelledAtStep: number | null;
  /** The script said its undo finished. */
  undone: boolean;
  /** The last step the script started, 0 when none. */
  lastStarted: number;
}

/** The one reader of planToScript's markers (the applier, the guard and the journal use it). */
export function readPlanScript(exitCode: number | null, output: string): ScriptReport {
  const started = [...output.matchAll(/^virtnet: step (\d+) of \d+$/gm)].map((m) => Number(m[1]));
  const failed = /^virtnet: step (\d+) failed; undoing$/m.exec(output);
  const cancelled = /^virtnet: cancelled at step (\d+); undoing$/m.exec(output);
  return {
    ok: exitCode === 0,
    failedStep: exitCode !== 0 && failed ? Number(failed[1]) : null,
    cancelledAtStep: exitCode !== 0 && cancelled ? Number(cancelled[1]) : null,
    undone: /^virtnet: undo finished$/m.test(output),
    lastStarted: started.length ? Math.max(...started) : 0,
  };
}
