/**
 * The Create Network form's shared pieces, as the extension host runs them: the draft guard
 * refuses what the webview could not have built, the live field checks say what the core says,
 * and a draft plans through the catalog's network.create exactly as the CLI's arguments do, with
 * the XML in the preview. The host model is the seed lab host's collector fixture.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { seedModel } from '../fixtures';
import { operation } from '../../../src/core/ops/catalog/index';
import { planChange } from '../../../src/core/ops/change';
import { fieldProblems } from '../../../src/forms/network/checks';
import { emptyDraft, isDraft, isNetworkFormData, type Draft } from '../../../src/forms/network/draft';
import { formData, planDraft } from '../../../src/forms/network/plan';
import { planResultOf } from '../../../src/forms/planView';

const model = seedModel();
const draft = (d: Partial<Draft>): Draft => ({ ...emptyDraft(), ...d });
const data = formData(model);

test("the form's data: every mode with its devices, names taken, a free bridge and subnet", () => {
  assert.ok(isNetworkFormData(data));
  assert.deepEqual(
    data.devices.bridge?.map((c) => c.name),
    ['br9'],
  );
  assert.deepEqual(data.devices.isolated, []);
  assert.ok(data.networks.includes('default'));
  assert.ok(data.taken.includes('virbr0') && data.taken.includes('br9'));
  assert.equal(data.freeBridge, 'virbr1');
  // 192.168.100.0/24 is free on the seed host (virbr0 holds 192.168.122.0/24).
  assert.equal(data.freeSubnet, '192.168.100.1/24');
});

test('drafts from the webview: well-formed ones pass, anything else is refused', () => {
  assert.ok(isDraft(draft({ name: 'lab', dhcpRanges: ['192.168.100.10-192.168.100.20', ''] })));
  for (const bad of [
    { ...draft({}), forward: 'ethernet' },
    { ...draft({}), dhcpRanges: '192.168.100.10-192.168.100.20' },
    { ...draft({}), dhcpHosts: Array(65).fill('x') },
    { ...draft({}), name: 'x'.repeat(5000) },
    { ...draft({}), stp: 'on' },
    { name: 'lab' },
  ])
    assert.equal(isDraft(bad), false, JSON.stringify(bad).slice(0, 120));
});

test('live checks: each field says what the core says, and fields of other modes are not checked', () => {
  const p = fieldProblems(
    draft({
      name: 'default',
      bridgeName: 'br9',
      delay: '45',
      address: '192.168.100.1/24',
      dhcpRanges: ['192.168.100.1-192.168.100.9'],
      dhcpHosts: ['52:54:00:00:00:01,192.168.101.5'],
      ipv6: '10.0.0.1/8',
      ipv6Ranges: ['fd00::1-fd00::9'],
      domain: 'a..b',
      forwarders: '192.0.2.1, nope',
      mtu: '9x',
    }),
    data,
  );
  assert.match(p.name ?? '', /already exists/);
  assert.match(p.bridgeName ?? '', /already exists/);
  assert.match(p.delay ?? '', /0 to 30/);
  assert.match(p.dhcpRanges ?? '', /holds the host's own address/);
  assert.match(p.dhcpHosts ?? '', /192\.168\.101\.5 is not inside 192\.168\.100\.1\/24/);
  assert.match(p.ipv6 ?? '', /IPv6 address here/);
  assert.match(p.ipv6Ranges ?? '', /needs the IPv6 address/);
  assert.ok(p.domain && p.forwarders && p.mtu, JSON.stringify(p));
  assert.equal(p.address, undefined);
  // A bridge network: only the name and the device count.
  assert.deepEqual(fieldProblems(draft({ name: 'b', forward: 'bridge', mtu: 'junk' }), data), { dev: 'choose the host bridge its guests join' });
  assert.deepEqual(Object.keys(fieldProblems(draft({ name: 'n', forward: 'nat' }), data)), ['address']);
});

test('a draft plans as the CLI arguments do, its XML whole in the preview; the planner refuses what needs the host', () => {
  const now = new Date('2026-12-03T00:00:00Z');
  const d = draft({
    name: 'lab',
    address: '192.168.100.1/24',
    dhcpRanges: ['192.168.100.10-192.168.100.99', ' '],
    dhcpHosts: ['52:54:00:aa:00:01,192.168.100.101,web'],
    forwarders: '192.0.2.53',
    stp: false,
  });
  const fromForm = planDraft(model, d, now).plan;
  const fromCli = planChange(
    model,
    operation('network.create')!,
    {
      name: 'lab',
      forward: 'nat',
      address: '192.168.100.1/24',
      dhcpRange: ['192.168.100.10-192.168.100.99'],
      dhcpHost: ['52:54:00:aa:00:01,192.168.100.101,web'],
      forwarder: ['192.0.2.53'],
      stp: false,
      autostart: true,
    },
    'none',
    now,
  ).plan;
  assert.deepEqual(fromForm, fromCli);
  const view = planResultOf(() => planDraft(model, d, now));
  assert.ok(view.ok);
  const xml = view.plan.steps[0]!.document?.text ?? '';
  for (const want of [
    "<bridge name='virbr1' stp='off' delay='0'/>",
    "<forwarder addr='192.0.2.53'/>",
    "<host mac='52:54:00:aa:00:01' name='web' ip='192.168.100.101'/>",
  ])
    assert.ok(xml.includes(want), `${want} in\n${xml}`);
  const refused = planResultOf(() => planDraft(model, draft({ name: 'clash', address: '192.168.122.5/24' }), now));
  assert.ok(!refused.ok && refused.problems.some((p) => /overlaps 192\.168\.122\.1\/24 of interface virbr0/.test(p)), JSON.stringify(refused));
});
