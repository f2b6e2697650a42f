/**
 * The two readers of a plan's facts agree: the shell library the host runs (factsScript) and the
 * model check the planners' tests use (factProblems). Both read this machine, read-only: the
 * collector's model of it, and the same facts checked by the shell script against its sysfs and
 * iproute2. True facts pass both; each false one is found by both, worded alike.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import { collectInventory } from '../../../../src/core/collect/collect';
import { LocalExecutor } from '../../../../src/core/exec/local';
import type { HostModel } from '../../../../src/core/model/types';
import { factProblems, factsScript, type Fact } from '../../../../src/core/ops/facts';

let model: HostModel | undefined;
async function local(): Promise<HostModel> {
  if (!model) {
    const ex = new LocalExecutor();
    try {
      model = await collectInventory(ex);
    } finally {
      await ex.dispose();
    }
  }
  return model;
}

/** What the shell library says of `facts` here: its findings, and its exit status. */
function onHost(facts: Fact[]): { code: number | null; findings: string[] } {
  const r = spawnSync('sh', ['-c', factsScript(facts, 'changed', 4)], { encoding: 'utf8' });
  return {
    code: r.status,
    findings: r.stderr
      .split('\n')
      .filter((l) => l.startsWith('virtnet: changed: '))
      .map((l) => l.slice(18)),
  };
}

test('true facts of this machine hold for both readers', async () => {
  const m = await local();
  const facts: Fact[] = [
    { fact: 'host', hostname: m.info.hostname, machineId: m.info.machineId },
    ...m.links.map((l): Fact => ({
      fact: 'link',
      name: l.name,
      master: l.master,
      addresses: l.addresses,
      has: l.addresses,
      ...(l.up ? { up: true as const } : {}),
    })),
    ...m.bridges.map((b): Fact => ({ fact: 'link', name: b.name, bridge: true, stp: b.stp })),
    ...m.routes
      .filter((r) => r.dev && r.protocol !== 'kernel')
      .map((r): Fact => ({ fact: 'route', dst: r.dst, gateway: r.gateway, dev: r.dev!, present: true })),
    { fact: 'absent', name: 'virtnet-nx0' },
  ];
  assert.ok(m.links.length >= 1);
  assert.deepEqual(factProblems(m, facts), []);
  assert.deepEqual(onHost(facts), { code: 0, findings: [] });
});

test('false facts are found by both, with the same words', async () => {
  const m = await local();
  const lo = m.links.find((l) => l.name === 'lo')!;
  const facts: Fact[] = [
    { fact: 'host', hostname: `${m.info.hostname}-other`, machineId: m.info.machineId },
    { fact: 'absent', name: 'lo' },
    { fact: 'link', name: 'virtnet-nx0' },
    {
      fact: 'link',
      name: 'lo',
      master: 'br-nx',
      bridge: true,
      addresses: [...lo.addresses, '10.254.254.254/32'],
      lacks: [lo.addresses[0]!],
      has: ['10.254.254.253/32'],
    },
    { fact: 'route', dst: '10.254.254.0/24', gateway: null, dev: 'lo', present: true },
  ];
  const model = factProblems(m, facts);
  const shell = onHost(facts);
  assert.equal(shell.code, 4);
  assert.equal(model.length, 9, model.join('\n'));
  // The host reader words some findings with what it read; compare the parts both know.
  const key = (s: string) => s.replace(/\(this is .*?;/, '(this is …;').replace(/has the addresses .* \(the plan/, 'has the addresses … (the plan');
  assert.deepEqual(shell.findings.map(key), model.map(key));
});
