/**
 * The runner on this machine (as root: it keeps its journal and lock in /run/virtnet), with
 * harmless steps that only write to a temporary file: host facts checked before anything runs,
 * what the plan promised read back after, two plans at once serialised by the lock, a run that
 * outlives its client and is reported once, and the journal as the next contact reads it.
 * Every journal a test makes is removed after it.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { LocalExecutor } from '../../../../src/core/exec/local';
import type { PlanRecord } from '../../../../src/core/model/types';
import { applyPlan } from '../../../../src/core/ops/apply';
import { JOURNAL_SCRIPT, outcomeText, parseJournal, recordLine } from '../../../../src/core/ops/journal';
import { plan, step, type Plan } from '../../../../src/core/ops/plan';
import { JOURNAL_DIR, newJournalId, runnerArgv } from '../../../../src/core/ops/runner';

const root = process.getuid?.() === 0;
const opts = { skip: root ? false : 'the runner keeps its journal in /run/virtnet: run the unit tier as root (CI does)' };
const dir = mkdtempSync(join(tmpdir(), 'virtnet-runner-'));
const made: string[] = [];
const ex = new LocalExecutor();

after(async () => {
  await ex.dispose();
  for (const id of made) rmSync(join(JOURNAL_DIR, id), { recursive: true, force: true });
  rmSync(dir, { recursive: true, force: true });
});

/** A step that appends `word` and the time to `log`. */
const rec = (log: string, word: string) => ['sh', '-c', 'printf "%s %s\\n" "$1" "$(date +%s%N)" >> "$2"', 'rec', word, log];
const words = (log: string) => {
  try {
    return readFileSync(log, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => l.split(' ')[0]);
  } catch {
    return [];
  }
};
const times = (log: string) =>
  readFileSync(log, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => Number(l.split(' ')[1]) / 1e6);

/** The journal records as the collector's section reads them (this also claims, as it does). */
function readJournal(): PlanRecord[] {
  const r = spawnSync('bash', ['-c', `${JOURNAL_SCRIPT}\njournal_read`], { encoding: 'utf8' });
  return parseJournal(r.stdout).filter((p) => made.includes(p.id));
}

async function apply(p: Plan) {
  const r = await applyPlan(ex, p);
  if (r.id) made.push(r.id);
  return r;
}

test('a plan runs, reads back what it promised, and its journal says so', opts, async () => {
  const log = join(dir, 'ok');
  const r = await apply(
    plan('runner test: applied', [step(rec(log, 'one'), 'one', rec(log, 'undo-one')), step(rec(log, 'two'), 'two', null)], {
      after: [{ fact: 'absent', name: 'lo' }],
    }),
  );
  assert.equal(r.ok, true, r.stderr);
  assert.deepEqual(words(log), ['one', 'two']);
  assert.deepEqual(r.notAsPlanned, ['an interface named lo exists'], 'a promise the host does not keep is reported, not hidden');
  const rec1 = readJournal().find((p) => p.id === r.id)!;
  assert.equal(rec1.state, 'applied');
  assert.equal(rec1.steps, 2);
  assert.equal(rec1.seen, true, 'its own client got the outcome');
  assert.equal(rec1.claimed, false);
  assert.match(
    recordLine(rec1),
    /^runner test: applied, started \d\d:\d\d UTC: ran to its end, but the host reads back differently: an interface named lo exists$/,
  );
});

test('while the client listens, each step is told as the host starts it', opts, async () => {
  const log = join(dir, 'progress');
  const seen: string[] = [];
  // Steps 2 and 3 pause before they write: a step told before its line exists was told live.
  const late = (word: string) => ['sh', '-c', 'sleep 0.8; printf "%s %s\\n" "$1" "$(date +%s%N)" >> "$2"', 'rec', word, log];
  const r = await applyPlan(
    ex,
    plan('runner test: progress', [step(rec(log, 'one'), 'one', null), step(late('two'), 'two', null), step(late('three'), 'three', null)]),
    {
      onStep: (n, of) => seen.push(`${n}/${of}:${words(log).length}`),
    },
  );
  if (r.id) made.push(r.id);
  assert.equal(r.ok, true, r.stderr);
  assert.deepEqual(seen.slice(1), ['2/3:1', '3/3:2']);
  assert.equal(seen[0]?.split(':')[0], '1/3');
});

test('a host that changed since the plan was made refuses it, and nothing runs', opts, async () => {
  const log = join(dir, 'changed');
  const r = await apply(
    plan('runner test: changed', [step(rec(log, 'one'), 'one', null)], {
      before: [
        { fact: 'absent', name: 'lo' },
        { fact: 'link', name: 'virtnet-nx0' },
      ],
    }),
  );
  assert.equal(r.ok, false);
  assert.deepEqual(r.changed, ['an interface named lo exists', 'virtnet-nx0 does not exist']);
  assert.deepEqual(words(log), [], 'nothing ran');
  const j = readJournal().find((p) => p.id === r.id)!;
  assert.equal(j.state, 'changed');
  assert.equal(outcomeText(j), 'refused, nothing ran: the host had changed (an interface named lo exists; virtnet-nx0 does not exist)');
});

test('a failing step undoes the ones before it; the journal says which', opts, async () => {
  const log = join(dir, 'fail');
  const r = await apply(
    plan('runner test: failing', [
      step(rec(log, 'one'), 'one', rec(log, 'undo-one')),
      step(rec(log, 'two'), 'two', rec(log, 'undo-two')),
      step(['false'], 'three', null),
    ]),
  );
  assert.equal(r.failedStep, 3);
  assert.equal(r.undone, true);
  assert.deepEqual(words(log), ['one', 'two', 'undo-two', 'undo-one']);
  assert.equal(outcomeText(readJournal().find((p) => p.id === r.id)!), 'step 3 failed, steps 1-2 undone');
});

test('two plans at once are serialised by the host lock; the second says who held it', opts, async () => {
  const log = join(dir, 'two');
  const first = apply(plan('runner test: first', [step(rec(log, 'a1'), 'a1', null), step(['sleep', '1.5'], 'wait', null), step(rec(log, 'a2'), 'a2', null)]));
  await new Promise((r) => setTimeout(r, 300));
  const second = apply(plan('runner test: second', [step(rec(log, 'b1'), 'b1', null), step(rec(log, 'b2'), 'b2', null)]));
  const [r1, r2] = await Promise.all([first, second]);
  assert.ok(r1.ok && r2.ok, `${r1.stderr}\n${r2.stderr}`);
  assert.deepEqual(words(log), ['a1', 'a2', 'b1', 'b2'], 'no interleaving');
  const [, a2, b1] = times(log);
  assert.ok(b1! >= a2!, 'the second began after the first ended');
  assert.match(r2.stderr, /^virtnet: waiting for the host lock: it is held by "runner test: first" \(started \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ\)$/m);
});

test('a run outlives its client: the plan ends on the host, and the next read reports it once', opts, async () => {
  const log = join(dir, 'orphan');
  const id = newJournalId();
  made.push(id);
  const p = plan('runner test: orphan', [
    step(rec(log, 'one'), 'one', rec(log, 'undo-one')),
    step(['sleep', '1'], 'wait', null),
    step(['false'], 'fails after the client died', null),
  ]);
  // The client: the runner's session part, killed as soon as the plan started (a crashed window).
  const [cmd, ...args] = runnerArgv(p, id);
  const client = spawn(cmd!, args, { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  const started = Date.now();
  while (words(log).length === 0 && Date.now() - started < 10_000) await new Promise((r) => setTimeout(r, 20));
  process.kill(-client.pid!, 'SIGKILL');
  assert.equal(readJournal().find((r) => r.id === id)?.state, 'running');
  // Every read from here on, as the next contacts would make them: exactly one reports it.
  const reads: PlanRecord[] = [];
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline) {
    const r = readJournal().find((x) => x.id === id);
    if (r) reads.push(r);
    if (r && r.state !== 'running' && reads.some((x) => x.claimed)) break;
    await new Promise((res) => setTimeout(res, 200));
  }
  const last = reads.at(-1);
  const why = () => `reads: ${JSON.stringify(reads.map((r) => [r.state, r.claimed, r.seen]))}`;
  assert.equal(last?.state, 'failed', why());
  assert.deepEqual(words(log), ['one', 'undo-one'], 'undone on the host with nobody connected');
  const claims = reads.filter((r) => r.claimed);
  assert.equal(claims.length, 1, `one read reports it: ${why()}`);
  assert.equal(claims[0]?.state, 'failed', 'and it reports the outcome, not a plan still running');
  assert.match(recordLine(claims[0]!), /: step 3 failed, steps 1-2 undone$/);
  assert.equal(readJournal().find((r) => r.id === id)?.claimed, false, 'once');
});
