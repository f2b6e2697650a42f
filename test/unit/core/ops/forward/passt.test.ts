/**
 * Forwards of user-mode NICs, on the libvirt 11.3 corpus capture (test/fixtures/corpus): d-user
 * has a SLIRP NIC and a passt NIC with two <portForward>s. A passt forward is its NIC's definition
 * with one element more (or less), everything else byte for byte; SLIRP is refused, saying why.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { corpus113Model } from '../../../fixtures';
import { planForwardAdd, planForwardRemove } from '../../../../../src/core/ops/forward/plan';
import { PlanInputError } from '../../../../../src/core/ops/plan';

const model = corpus113Model();
const PASST = '52:54:00:c0:04:05';
const SLIRP = '52:54:00:c0:04:01';
/** The XML update-device gets: the last argument but the virsh words after it. */
const deviceXml = (argv: string[]) => argv[4]!;

test('the passt NIC reads with its backend and forwards; the SLIRP one says it is SLIRP', () => {
  const nics = model.domains.find((d) => d.name === 'd-user')!.interfaces;
  const passt = nics.find((n) => n.mac === PASST)!;
  assert.equal(passt.backend, 'passt');
  assert.deepEqual(passt.portForwards, [
    {
      proto: 'tcp',
      address: '127.0.0.1',
      dev: null,
      ranges: [
        { start: 2022, end: null, to: 22, exclude: false },
        { start: 5000, end: 5010, to: null, exclude: true },
      ],
    },
    { proto: 'udp', address: null, dev: 'enp3s1', ranges: [{ start: 5353, end: null, to: 53, exclude: false }] },
  ]);
  assert.equal(nics.find((n) => n.mac === SLIRP)!.backend, null);
});

test('add: one <portForward> after the others, the rest of the NIC as it was; undo gives it back', () => {
  const plan = planForwardAdd(model, { vm: 'd-user', ports: '8080:80', proto: 'tcp', mac: PASST, fromHost: false, force: false });
  assert.equal(plan.steps.length, 1);
  const [s] = plan.steps;
  const before = deviceXml(s!.undo!);
  const after = deviceXml(s!.argv);
  assert.ok(after.includes("<portForward proto='tcp'>\n        <range start='8080' to='80'/>\n      </portForward>"), after);
  assert.equal(after.replace(/\n\s*<portForward proto='tcp'>\n\s*<range start='8080' to='80'\/>\n\s*<\/portForward>/, ''), before);
  assert.match(s!.document?.text ?? '', /^\+ +<range start='8080' to='80'\/>$/m);
});

test('remove: the <portForward> that holds the port goes; taken or SLIRP ports are refused', () => {
  const plan = planForwardRemove(model, 'd-user', '2022', 'tcp');
  const after = deviceXml(plan.steps[0]!.argv);
  assert.ok(!after.includes("start='2022'") && after.includes("start='5353'"), after);
  const refuse = (f: () => unknown) => {
    try {
      f();
    } catch (e) {
      if (e instanceof PlanInputError) return e.problems.join('\n');
      throw e;
    }
    return assert.fail('planned');
  };
  assert.match(
    refuse(() => planForwardAdd(model, { vm: 'd-user', ports: '2022:22', proto: 'tcp', mac: PASST, fromHost: false, force: false })),
    /forwarded already by passt, to d-user/,
  );
  assert.match(
    refuse(() => planForwardAdd(model, { vm: 'd-user', ports: '8080:80', proto: 'tcp', mac: SLIRP, fromHost: false, force: false })),
    /user-mode on SLIRP: libvirt has no forward element/,
  );
});
