/**
 * The bridge form's shared pieces, as the extension host runs them: the protocol guards refuse
 * anything not built by the other side, the live field checks agree with the core, and a draft
 * plans through the real planners. The host model is the seed lab host's collector fixture.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { buildHostModel } from '../../../src/core/collect/build';
import { shJoin } from '../../../src/core/exec/quote';
import { planCreateBridge } from '../../../src/core/ops/bridge';
import { fieldProblems } from '../../../src/forms/bridge/checks';
import { emptyDraft, isBridgeFormData, isDraft, type Draft } from '../../../src/forms/bridge/draft';
import { planResult } from '../../../src/forms/bridge/plan';
import { isFormRequest as isRequest, isFormUpdate as isUpdate } from '../../../src/forms/protocol';

const model = buildHostModel({
  host: 'vnl-a',
  output: readFileSync(new URL('../../fixtures/collector/seed.out', import.meta.url), 'utf8'),
  nonce: 'f1x7u2e0n0ce',
  asRoot: null,
});
const draft = (d: Partial<Draft>): Draft => ({ ...emptyDraft(), ...d });
const isFormRequest = (v: unknown) => isRequest(v, isDraft);
const isFormUpdate = (v: unknown) => isUpdate(v, isBridgeFormData);

test('requests from the webview: well-formed ones pass, anything else is refused', () => {
  assert.ok(isFormRequest({ type: 'ready' }));
  assert.ok(isFormRequest({ type: 'draft', seq: 3, draft: draft({ bridge: 'br1' }) }));
  assert.ok(isFormRequest({ type: 'apply', seq: 0, draft: draft({ mode: 'uplink', nic: 'eth0' }) }));
  for (const bad of [
    null,
    'ready',
    { type: 'run', argv: ['reboot'] },
    { type: 'draft', draft: draft({}) },
    { type: 'draft', seq: -1, draft: draft({}) },
    { type: 'apply', seq: 1, draft: { ...draft({}), mode: 'delete' } },
    { type: 'apply', seq: 1, draft: { ...draft({}), ports: 'eth0' } },
    { type: 'apply', seq: 1, draft: { ...draft({}), bridge: 'x'.repeat(5000) } },
    { type: 'copyScript', draft: { bridge: 'br1' } },
  ]) {
    assert.equal(isFormRequest(bad), false, JSON.stringify(bad)?.slice(0, 80));
  }
});

test('updates from the extension are checked too', () => {
  assert.ok(isFormUpdate({ type: 'plan', seq: 1, result: { ok: false, problems: ['no'] } }));
  assert.ok(isFormUpdate({ type: 'result', outcome: { kind: 'applied', message: 'ok', detail: '' } }));
  assert.equal(
    isFormUpdate({ type: 'plan', seq: 1, result: { ok: true, plan: { title: 't', steps: [{ why: 1 }], warnings: [], touchesConnection: false } } }),
    false,
  );
  assert.equal(isFormUpdate({ type: 'result', outcome: { kind: 'exploded', message: '', detail: '' } }), false);
  assert.equal(isFormUpdate({ type: 'init', host: { dest: 'h' } }), false);
  assert.equal(isFormUpdate({ type: 'init', host: { dest: 'h', label: 'h' }, data: { ports: 'eth0' }, persistOptions: [], preset: {} }), false);
  assert.ok(
    isFormUpdate({ type: 'init', host: { dest: 'h', label: 'h' }, data: { ports: [], nics: [], taken: [], dhcpClient: null }, persistOptions: [], preset: {} }),
  );
});

test("live checks: the core's name rules, names taken on the host, ranges, addresses", () => {
  const taken = model.links.map((l) => l.name);
  assert.match(fieldProblems(draft({ bridge: 'sixteen-chars-xx' }), taken).bridge ?? '', /16 bytes long; Linux allows at most 15/);
  assert.match(fieldProblems(draft({ bridge: 'br 0' }), taken).bridge ?? '', /contains " "/);
  assert.match(fieldProblems(draft({ bridge: 'br9' }), taken).bridge ?? '', /already exists/);
  assert.match(fieldProblems(draft({ bridge: 'brx', forwardDelay: '1' }), taken).forwardDelay ?? '', /2 to 30/);
  assert.deepEqual(fieldProblems(draft({ bridge: 'brx', forwardDelay: '4' }), taken), {});
  const up = fieldProblems(draft({ mode: 'uplink', bridge: 'brx', addressing: 'static', address: '10.0.0.1', gateway: '10.0.0.300' }), taken);
  assert.match(up.nic ?? '', /choose the NIC/);
  assert.match(up.address ?? '', /no prefix length/);
  assert.match(up.gateway ?? '', /not an IPv4 address/);
});

test('a draft plans through the real planner: the preview is the plan', () => {
  const now = new Date('2026-11-25T12:00:00Z');
  const r = planResult(model, draft({ bridge: 'br10', stp: true, forwardDelay: '4' }), now);
  assert.ok(r.ok);
  const real = planCreateBridge(model, { name: 'br10', stp: true, forwardDelay: 4, ports: [] });
  assert.deepEqual(
    r.plan.steps.map((s) => s.command),
    real.steps.map((s) => shJoin(s.argv)),
  );
  assert.deepEqual(
    r.plan.steps.map((s) => s.display),
    real.steps.map((s) => s.display),
  );
  assert.equal(r.plan.steps[0].undo, 'ip link del dev br10');
  assert.deepEqual(r.plan.files, []);
  assert.ok(r.plan.warnings.some((w) => /runtime only/.test(w)));
  const refused = planResult(model, draft({ mode: 'uplink', bridge: 'brx', nic: 'enp3s1', addressing: 'dhcp' }), now);
  assert.ok(!refused.ok);
  assert.match(refused.problems.join('\n'), /already a port of "br9"/);
});

test('a draft that persists previews its files exactly, through the manager the host uses only', () => {
  const now = new Date('2026-11-25T12:00:00Z');
  assert.equal(model.info.networkManager, 'networkd', 'the seed fixture runs systemd-networkd');
  const r = planResult(model, draft({ bridge: 'br10', stp: true, forwardDelay: '4', persist: 'networkd' }), now);
  assert.ok(r.ok, JSON.stringify(r));
  const netdev = r.plan.files.find((f) => f.path === '/etc/systemd/network/05-virtnet-br10.netdev');
  assert.ok(netdev, r.plan.files.map((f) => f.path).join(', '));
  assert.match(netdev.contents, /Kind=bridge/);
  assert.match(netdev.contents, /ForwardDelaySec=4/);
  // The write step carries the same contents the preview shows.
  assert.ok(
    r.plan.steps.some(
      (s) =>
        s.command.includes('virtnet-write') &&
        s.command.includes('05-virtnet-br10.netdev') &&
        s.display === 'write /etc/systemd/network/05-virtnet-br10.netdev',
    ),
  );
  assert.deepEqual(
    planResult(model, draft({ bridge: 'br10', stp: true, forwardDelay: '4', persist: 'networkd' }), now),
    r,
    'same draft, same stamp: the same plan',
  );
  const other = planResult(model, draft({ bridge: 'br10', persist: 'netplan' }), now);
  assert.ok(!other.ok);
  assert.match(other.problems.join('\n'), /managed by systemd-networkd/);
  assert.equal(isFormRequest({ type: 'draft', seq: 1, draft: { ...draft({}), persist: 'registry' } }), false);
});
