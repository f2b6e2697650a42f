/**
 * Lab tier: the guard when the CLI runs ON the host it changes, in the SSH session the change
 * may cut (as an administrator runs it after `ssh host`). No fresh connection from the host
 * proves anything; the user does, by pressing Enter in that session (as `netplan try` asks).
 *   - a change that keeps the session: the prompt arrives, Enter is typed, the change is kept;
 *   - a change that cuts it (every address off the uplink): the prompt never arrives, the host
 *     rolls itself back, the same session comes back and reports exit 3; the host is as before.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { after, before, test } from 'node:test';
import { CLI } from './cli';
import { guardLeftovers, labSkipReason, labUp, netState, type LabHost } from './lab';

const skip = labSkipReason();
const opts = { skip: skip ?? false, timeout: 150_000 };
const EXTRA = '10.231.123.1/24';
let host: LabHost;
let baseline = '';

before(
  async () => {
    if (skip) return;
    host = await labUp('lguard', 23, { libvirt: false });
    baseline = await state();
  },
  { timeout: 180_000 },
);

after(
  async () => {
    if (!skip) await host?.down();
  },
  { timeout: 120_000 },
);

const state = () => netState(host);
const leftovers = () => guardLeftovers(host);

/**
 * The CLI on the lab host in an SSH session with a terminal (ssh -tt). `onPrompt` answers the
 * keep prompt when it arrives; the result is the session's exit status and everything it showed.
 */
function cliInSession(args: string[], answer: boolean): Promise<{ code: number | null; out: string; prompted: boolean }> {
  return new Promise((resolve) => {
    const child = spawn('ssh', ['-tt', '-F', host.sshConfig, host.dest, '--', process.execPath, CLI, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let prompted = false;
    const onData = (b: Buffer) => {
      out += b.toString();
      if (!prompted && /Press Enter within \d+ s to keep it/.test(out)) {
        prompted = true;
        if (answer) child.stdin.write('\r');
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('close', (code) => resolve({ code, out, prompted }));
  });
}

test('on the host itself, a change that keeps the session: Enter in that session keeps it', opts, async () => {
  const r = await cliInSession(['bridge', 'address', 'enp3s1', '--add', EXTRA, '--yes', '--rollback-seconds', '20'], true);
  assert.equal(r.code, 0, r.out);
  assert.ok(r.prompted, r.out);
  assert.match(r.out, /you must press Enter in this terminal/);
  assert.match(r.out, /you confirmed .* so the rollback is disarmed/);
  assert.match((await host.exec(['ip', '-br', 'addr', 'show', 'dev', 'enp3s1'])).stdout, new RegExp(EXTRA.replace(/[./]/g, '\\$&')));
  assert.equal(await leftovers(), '');
  const undo = await host.exec(['ip', 'addr', 'del', EXTRA, 'dev', 'enp3s1']);
  assert.equal(undo.code, 0, undo.stderr);
  assert.equal(await state(), baseline);
});

test('on the host itself, a change that cuts the session: no Enter can come, the host rolls back, exit 3', opts, async () => {
  // Enter is typed if the prompt ever arrives: only the cut session keeps it from being kept.
  const r = await cliInSession(['bridge', 'address', 'enp3s1', '--clear', '--yes', '--rollback-seconds', '15'], true);
  assert.equal(r.code, 3, r.out);
  assert.match(r.out, /rolled itself back/);
  assert.equal(await state(), baseline);
  assert.equal(await leftovers(), '');
});

test("on the host itself without a terminal, a plan on the session's path is refused before anything runs", opts, async () => {
  const r = await new Promise<{ code: number | null; out: string }>((resolve) => {
    const child = spawn('ssh', ['-F', host.sshConfig, host.dest, '--', process.execPath, CLI, 'bridge', 'address', 'enp3s1', '--clear', '--yes'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (b: Buffer) => (out += b.toString()));
    child.stderr.on('data', (b: Buffer) => (out += b.toString()));
    child.on('close', (code) => resolve({ code, out }));
  });
  assert.equal(r.code, 2, r.out);
  assert.match(r.out, /without a terminal nobody can confirm/);
  assert.equal(await state(), baseline);
});
