import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readFileSync as read, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { buildHostModel } from '../../../../src/core/collect/build';
import { planAddPort, planCreateBridge, planCreateTap, planDeleteBridge, planDeleteTap, planRemovePort, planSetStp } from '../../../../src/core/ops/bridge';
import { connectionLinks } from '../../../../src/core/ops/connection';
import { plan as mkPlan, PlanInputError, planToScript, step } from '../../../../src/core/ops/plan';

// The seed lab host as the collector saw it (test/fixtures/collector/README.md).
const model = buildHostModel({
  host: 'vnl-a',
  output: read(new URL('../../../fixtures/collector/seed.out', import.meta.url), 'utf8'),
  nonce: 'f1x7u2e0n0ce',
  asRoot: null,
});

test("create bridge: the guide's brctl addbr/stp/addif as iproute2 steps with undo", () => {
  const plan = planCreateBridge(model, { name: 'br10', stp: true, forwardDelay: 4 });
  assert.deepEqual(
    plan.steps.map((s) => s.argv),
    [
      ['ip', 'link', 'add', 'name', 'br10', 'type', 'bridge', 'stp_state', '1', 'forward_delay', '400'],
      ['ip', 'link', 'set', 'dev', 'br10', 'up'],
    ],
  );
  assert.deepEqual(plan.steps[0]?.undo, ['ip', 'link', 'del', 'dev', 'br10']);
  assert.ok(plan.steps.every((s) => s.kind === 'link'));
});

test('bad input is refused with every reason, before anything is planned', () => {
  assert.throws(() => planCreateBridge(model, { name: 'br9', stp: false }), /already exists/);
  assert.throws(() => planCreateBridge(model, { name: 'way-too-long-bridge', stp: false }), /at most 15/);
  assert.throws(() => planCreateBridge(model, { name: 'brx', stp: true, forwardDelay: 1 }), /2 to 30/);
  try {
    planCreateBridge(model, { name: 'brx', stp: true, ports: ['enp3s1', 'nosuch', 'virbr0'] });
    assert.fail('should refuse');
  } catch (e) {
    assert.ok(e instanceof PlanInputError);
    assert.equal(e.problems.length, 3);
    assert.match(e.problems.join('\n'), /already a port of "br9"/);
    assert.match(e.problems.join('\n'), /no interface "nosuch"/);
    assert.match(e.problems.join('\n'), /is a bridge/);
  }
});

test('ports, STP, taps', () => {
  assert.throws(() => planAddPort(model, 'virbr0', 'vnet0'), /already a port of "br9"/);
  const rm = planRemovePort(model, 'br9', 'vnet0');
  assert.deepEqual(rm.steps[0]?.argv, ['ip', 'link', 'set', 'dev', 'vnet0', 'nomaster']);
  assert.deepEqual(rm.steps[0]?.undo, ['ip', 'link', 'set', 'dev', 'vnet0', 'master', 'br9']);
  assert.deepEqual(planSetStp(model, 'br9', false).steps[0]?.undo?.slice(-1), ['1'], 'undo restores the STP state the model showed');
  const tap = planCreateTap(model, 'vnet7', 'br9');
  assert.deepEqual(
    tap.steps.map((s) => s.argv.slice(0, 3)),
    [
      ['ip', 'tuntap', 'add'],
      ['ip', 'link', 'set'],
      ['ip', 'link', 'set'],
    ],
  );
  assert.throws(() => planDeleteTap(model, 'enp3s1'), /no tap/);
  const c7tap = model.domains.find((d) => d.name === 'c7')!.interfaces[0]!.target!;
  assert.throws(() => planDeleteTap(model, c7tap), /belongs to the running VM c7/);
});

test("deleting a bridge that carries the host's address or VM taps needs --force", () => {
  assert.throws(() => planDeleteBridge(model, 'br9'), /holds the host's addresses 10\.231\.1\.2\/24/);
  assert.throws(() => planDeleteBridge(model, 'virbr0'), /carries VM NICs: vnet\d+ \(VM c7\)/);
  const forced = planDeleteBridge(model, 'br9', true);
  assert.equal(forced.steps[0]?.touchesConnection, true);
  assert.ok(forced.warnings.length > 0);
});

test('a plan as a script: real shell, hostile names stay words, failure undoes in reverse', () => {
  const dir = mkdtempSync(join(tmpdir(), 'virtnet-plan-'));
  try {
    const log = join(dir, 'log');
    const rec = (word: string) => ['sh', '-c', 'printf "%s\\n" "$1" >> "$2"', 'rec', word, log];
    const plan = mkPlan('test $(id) `x`', [
      step(rec('do br0;reboot'), 'first', rec('undo br0;reboot')),
      step(rec('do $(id)'), 'second', rec("undo it's")),
      step(['false'], 'fails', rec('never')),
      step(rec('not reached'), 'fourth', null),
    ]);
    let code = 0;
    try {
      execFileSync('sh', ['-c', planToScript(plan)], { stdio: 'pipe' });
    } catch (e) {
      code = (e as { status: number }).status;
    }
    assert.equal(code, 1);
    assert.deepEqual(readFileSync(log, 'utf8').split('\n').filter(Boolean), ['do br0;reboot', 'do $(id)', "undo it's", 'undo br0;reboot']);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('steps that touch the interfaces carrying the session are flagged, others are not', () => {
  assert.deepEqual([...connectionLinks(model)].sort(), ['br9', 'enp3s1']);
  assert.equal(planDeleteBridge(model, 'br9', true).steps[0]?.touchesConnection, true);
  assert.equal(planSetStp(model, 'br9', true).steps[0]?.touchesConnection, false, 'already on: nothing changes');
  assert.equal(planRemovePort(model, 'br9', 'enp3s1').steps[0]?.touchesConnection, true);
  assert.equal(planRemovePort(model, 'br9', 'vnet0').steps[0]?.touchesConnection, false, 'a tap leads to a VM, not to the client');
  const c7tap = model.domains.find((d) => d.name === 'c7')!.interfaces[0]!.target!;
  assert.equal(planRemovePort(model, 'virbr0', c7tap).steps[0]?.touchesConnection, false);
  assert.ok(planCreateTap(model, 'vnet9', 'virbr0').steps.every((s) => !s.touchesConnection));
});
