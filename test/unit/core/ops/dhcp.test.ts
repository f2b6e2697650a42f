import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { buildHostModel } from '../../../../src/core/collect/build';
import type { HostModel } from '../../../../src/core/model/types';

import { dhcpArgv, dhcpClient, dhcpProblem, dhcpSteps } from '../../../../src/core/ops/dhcp';
import { plan, planToScript, undoScript } from '../../../../src/core/ops/plan';

const bare = buildHostModel({
  host: 'vnl-b',
  output: readFileSync(new URL('../../../fixtures/collector/bare.out', import.meta.url), 'utf8'),
  nonce: 'f1x7u2e0n0ce',
  asRoot: null,
});

/** The fixture host with exactly these DHCP clients installed. */
function withClients(...names: string[]): HostModel {
  const tools: Record<string, boolean> = { ...bare.info.tools, dhclient: false, dhcpcd: false, udhcpc: false };
  for (const n of names) tools[n] = true;
  return { ...bare, info: { ...bare.info, tools } };
}

test('dhclient is preferred, then dhcpcd; udhcpc alone is refused with the reason', () => {
  assert.equal(dhcpClient(withClients('dhclient', 'dhcpcd', 'udhcpc')), 'dhclient');
  assert.equal(dhcpClient(withClients('dhcpcd', 'udhcpc')), 'dhcpcd');
  assert.equal(dhcpClient(withClients('udhcpc')), null);
  assert.match(dhcpProblem(withClients('udhcpc'))!, /only busybox udhcpc.*renew the lease.*configures nothing/);
  assert.match(dhcpProblem(withClients())!, /no DHCP client on the host/);
  assert.equal(dhcpProblem(withClients('dhcpcd')), null);
});

test('the clients stay to renew, run bounded, and are released by undo', () => {
  const d = dhcpArgv('dhclient', 'br9', 10);
  // Bounded by timeout (dhclient has no flag for it); ifupdown's pid and lease files, so the
  // release below (and an ifdown) finds exactly this daemon.
  assert.deepEqual(d.run, ['timeout', '-k', '5', '10', 'dhclient', '-1', '-pf', '/run/dhclient.br9.pid', '-lf', '/var/lib/dhcp/dhclient.br9.leases', 'br9']);
  assert.deepEqual(d.release, ['dhclient', '-r', '-pf', '/run/dhclient.br9.pid', '-lf', '/var/lib/dhcp/dhclient.br9.leases', 'br9']);
  const c = dhcpArgv('dhcpcd', 'br9', 14);
  // Never -1 (oneshot exits and leaves the address unrenewed, and -k then finds nothing).
  assert.ok(!c.run.includes('-1'));
  assert.deepEqual(c.run, ['dhcpcd', '-4', '-L', '-w', '-t', '14', 'br9']);
  assert.deepEqual(c.release, ['dhcpcd', '-4', '-k', 'br9']);
});

test('steps: keep resolv.conf, run the client, check; a failed check undoes the client and resolv.conf', () => {
  const steps = dhcpSteps(withClients('dhclient'), 'br9', { waitSeconds: 10, expectDefaultRoute: true, touchesConnection: true });
  assert.equal(steps.length, 3);
  assert.deepEqual(steps[0]!.argv.slice(0, 2), ['sh', '-c']);
  assert.equal(steps[0]!.argv.at(-1), '/run/virtnet-resolv.conf.br9');
  assert.equal(steps[0]!.undo?.at(-1), '/run/virtnet-resolv.conf.br9');
  assert.equal(steps[1]!.argv[4], 'dhclient');
  assert.deepEqual(steps[2]!.argv.slice(-2), ['br9', '1']);
  assert.equal(steps[2]!.undo, null);
  assert.deepEqual(
    steps.map((s) => s.touchesConnection),
    [false, true, true],
  );
  // In the script the applier runs, the check's failure runs the release, then the restore.
  const script = planToScript(plan('t', steps));
  assert.match(script, /virtnet-check-dhcp br9 1 \|\| fail 3/);
  const undo = undoScript(plan('t', steps)).split('\n').slice(2);
  assert.match(undo[0]!, /^dhclient -r .* br9 \|\| true$/);
  assert.match(undo[1]!, /virtnet-restore \/run\/virtnet-resolv.conf.br9 \|\| true$/);
  assert.throws(() => dhcpSteps(withClients('udhcpc'), 'br9', { waitSeconds: 10, expectDefaultRoute: false, touchesConnection: false }), /udhcpc/);
});

test('the check script fails without an IPv4 address, and without the default route when one is expected', () => {
  const steps = dhcpSteps(withClients('dhcpcd'), 'br9', { waitSeconds: 10, expectDefaultRoute: true, touchesConnection: false });
  const [sh, c, body, name] = steps[2]!.argv;
  assert.equal(sh, 'sh');
  // Run the real script against a stand-in `ip` that prints what a host would.
  const dir = mkdtempSync(join(tmpdir(), 'virtnet-dhcp-'));
  try {
    const ip = join(dir, 'ip');
    writeFileSync(ip, '#!/bin/sh\ncase "$*" in\n  *"addr show"*) printf "%s" "$ADDR" ;;\n  *"route show"*) printf "%s" "$ROUTE" ;;\nesac\n');
    chmodSync(ip, 0o755);
    const run = (expectDefault: string, env: { ADDR: string; ROUTE: string }) =>
      spawnSync('sh', [c!, body!, name!, 'br9', expectDefault], { env: { PATH: `${dir}:/usr/bin:/bin`, ...env }, encoding: 'utf8' });
    const addr = '7: br9    inet 10.233.19.2/24 brd 10.233.19.255 scope global br9\\       valid_lft forever preferred_lft forever\n';
    const route = 'default via 10.233.19.1 proto dhcp metric 1004\n';
    assert.equal(run('1', { ADDR: addr, ROUTE: route }).status, 0);
    const noAddr = run('1', { ADDR: '', ROUTE: '' });
    assert.equal(noAddr.status, 1);
    assert.match(noAddr.stderr, /left br9 without an IPv4 address/);
    const noRoute = run('1', { ADDR: addr, ROUTE: '' });
    assert.equal(noRoute.status, 1);
    assert.match(noRoute.stderr, /no default route/);
    assert.equal(run('0', { ADDR: addr, ROUTE: '' }).status, 0);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('asking DHCP again where a lease already is: refused, naming the lease; static IPv4 still refused', async () => {
  const { planAddresses } = await import('../../../../src/core/ops/address');
  const { PlanInputError } = await import('../../../../src/core/ops/plan');
  const m = withClients('dhclient');
  const nic = m.links.find((l) => l.addresses.some((a) => a.includes('.')) && !l.master && l.name !== 'lo')!;
  const v4 = nic.addresses.filter((a) => a.includes('.'));
  const leasedModel: HostModel = { ...m, links: m.links.map((l) => (l === nic ? { ...l, dynamicAddresses: v4 } : l)) };
  const problems = (model: HostModel) => {
    try {
      planAddresses(model, { ifname: nic.name, dhcp: true });
      return [];
    } catch (e) {
      assert.ok(e instanceof PlanInputError);
      return e.problems;
    }
  };
  const leased = problems(leasedModel);
  assert.equal(leased.length, 1, leased.join('; '));
  assert.match(leased[0]!, /already has a DHCP lease .* client keeps renewing it/);
  const fixed = problems(m);
  assert.equal(fixed.length, 1, fixed.join('; '));
  assert.match(fixed[0]!, /must keep no static IPv4 address/);
});
