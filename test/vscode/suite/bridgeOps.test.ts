/// <reference types="mocha" />
/**
 * The bridge and tap commands against the seeded lab host (VIRTNET_TEST_HOST), through the real
 * command flow: plan → modal (answered by the WindowStub test seam) → apply → refresh. Host truth
 * comes from a separate inventory on the test's own SSH connection, not from the extension.
 * Only `brtest` and `vnettest` are created and removed; br9, vnet0 and c7 are left alone.
 */
import * as assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as vscode from 'vscode';
import type { VirtNetApi } from '../../../src/extension';
import { collectInventory } from '../../../src/core/collect/collect';
import { SshExecutor } from '../../../src/core/exec/ssh';
import type { HostModel } from '../../../src/core/model/types';
import { LAB_HOST, LAB_SSH_CONFIG, TreeWalker, api, setSetting } from './helpers';
import { runAnswered } from './window';

const BR = 'brtest';
const TAP = 'vnettest';

suite('bridge commands: lab host', function () {
  this.timeout(120_000);
  const H = LAB_HOST ?? '';
  let a: VirtNetApi;
  let truth: SshExecutor;
  let controlDir: string;

  /** The host as a separate connection reads it now. */
  const inventory = (): Promise<HostModel> => collectInventory(truth);
  const link = async (name: string) => (await inventory()).links.find((l) => l.name === name);

  const run = (answer: string | undefined, command: string, ...args: unknown[]) => runAnswered(answer, command, H, ...args);

  const cleanup = async () => {
    for (const name of [TAP, BR]) await truth.run(['ip', 'link', 'del', 'dev', name], { root: true, allowFailure: true });
  };

  suiteSetup(async function () {
    if (!LAB_HOST) return this.skip();
    a = await api();
    controlDir = mkdtempSync(path.join(os.tmpdir(), 'virtnet-suite-'));
    truth = new SshExecutor(H, { configFile: LAB_SSH_CONFIG, controlDir });
    await cleanup();
    if (LAB_SSH_CONFIG) await setSetting('sshConfigFile', LAB_SSH_CONFIG);
    // Lab hosts share this machine's /etc: their changes stay runtime only (one test below
    // previews a saved change and runs nothing).
    await setSetting('persistence', 'runtime');
    await setSetting('hosts', [H]);
    await a.refreshAll();
  });

  suiteTeardown(async () => {
    if (!LAB_HOST) return;
    await cleanup();
    await truth.dispose();
    rmSync(controlDir, { recursive: true, force: true });
    await setSetting('hosts', []);
    await setSetting('sshConfigFile', undefined);
    await setSetting('persistence', undefined);
  });

  test('bad input is refused with every problem, and nothing runs', async () => {
    for (const bad of ['vnet;reboot$(id)', 'a-name-of-16byte', '..']) {
      const { stub: s } = await run('Apply', 'virtnet.tap.create', bad, '');
      assert.equal(s.modals().length, 0, `no confirmation for ${bad}`);
      assert.equal(s.errors().length, 1, `one error message for ${bad}`);
      assert.match(s.errors()[0].message, /refused, nothing ran/);
      assert.equal(await link(bad), undefined);
    }
    const { stub: s } = await run('Apply', 'virtnet.bridge.addPort', 'br9', 'no-such-nic');
    assert.equal(s.modals().length, 0);
    assert.match(s.errors()[0].message, /there is no interface "no-such-nic"/);
  });

  test("Create Tap: the modal lists the plan's commands; Apply creates it; the tree shows it", async () => {
    const { outcome, stub: s } = await run('Apply', 'virtnet.tap.create', TAP, '');
    assert.equal(outcome?.kind, 'applied', outcome?.message);
    const [modal] = s.modals();
    assert.match(modal.message, /Create tap vnettest/);
    assert.match(modal.detail, /\$ ip tuntap add dev vnettest mode tap/);
    assert.deepEqual(modal.items, ['Apply', 'Copy as Script']);
    assert.equal((await link(TAP))?.portKind, 'tap');
    const session = a.hosts().find((h) => h.dest === H)!;
    assert.ok(
      session.model?.links.some((l) => l.name === TAP),
      'the host was refreshed after apply',
    );
  });

  test('Add Port, STP on, Add and Clear Address, Remove Port on a bridge of our own', async () => {
    // The fixture bridge comes straight from the test's connection: the form creates bridges,
    // and the form has its own UI test.
    await truth.run(['ip', 'link', 'add', 'name', BR, 'type', 'bridge'], { root: true });
    await vscode.commands.executeCommand('virtnet.refreshHost', H);

    let r = await run('Apply', 'virtnet.bridge.addPort', BR, TAP);
    assert.equal(r.outcome?.kind, 'applied', r.outcome?.message);
    assert.equal((await link(TAP))?.master, BR);
    const tree = new TreeWalker(a);
    const host = await tree.host(H);
    const bridges = await tree.child(host.node, `host:${H}/bridges`);
    const br = await tree.child(bridges.node, `host:${H}/bridge/${BR}`);
    assert.equal(br.item.contextValue, 'bridge:down:stp-off:addr-no');
    assert.ok((await tree.children(br.node)).some((p) => p.item.id === `host:${H}/bridge/${BR}/port/${TAP}`));

    r = await run('Apply', 'virtnet.bridge.stpOn', BR);
    assert.equal(r.outcome?.kind, 'applied', r.outcome?.message);
    assert.equal((await inventory()).bridges.find((b) => b.name === BR)?.stp, true);

    r = await run('Apply', 'virtnet.bridge.addAddress', BR, '10.231.99.1/24');
    assert.equal(r.outcome?.kind, 'applied', r.outcome?.message);
    assert.deepEqual((await link(BR))?.addresses, ['10.231.99.1/24']);
    assert.match(r.stub.modals()[0].detail, /\$ ip addr add 10\.231\.99\.1\/24 dev brtest/);
    r = await run('Apply', 'virtnet.bridge.addAddress', BR, '10.231.99.1/24');
    assert.match(r.stub.errors()[0]?.message ?? '', /already has 10\.231\.99\.1\/24/, 'a second add of the same address is refused');
    r = await run('Apply', 'virtnet.bridge.removeAddress', BR, 'all');
    assert.equal(r.outcome?.kind, 'applied', r.outcome?.message);
    assert.match(r.stub.modals()[0].message, /Addresses of brtest: remove 10\.231\.99\.1\/24/);
    assert.deepEqual((await link(BR))?.addresses, []);

    r = await run('Apply', 'virtnet.bridge.removePort', BR, TAP);
    assert.equal(r.outcome?.kind, 'applied', r.outcome?.message);
    assert.equal((await link(TAP))?.master ?? null, null);
  });

  test('Copy as Script puts the plan on the clipboard and runs nothing; dismissing runs nothing', async () => {
    await vscode.env.clipboard.writeText('');
    let r = await run('Copy as Script', 'virtnet.bridge.stpOff', BR);
    assert.equal(r.outcome, undefined);
    const script = await vscode.env.clipboard.readText();
    assert.match(script, /^#!\/bin\/sh/);
    assert.match(script, /ip link set dev brtest type bridge stp_state 0/);
    r = await run(undefined, 'virtnet.bridge.stpOff', BR);
    assert.equal(r.outcome, undefined);
    assert.equal((await inventory()).bridges.find((b) => b.name === BR)?.stp, true, 'STP still on');
  });

  test("Saving through the host's network manager: the modal lists every file exactly; Copy as Script runs nothing", async () => {
    await setSetting('persistence', 'save');
    try {
      const before = await inventory();
      const manager = before.info.networkManager;
      const r = await run('Copy as Script', 'virtnet.bridge.stpOff', BR);
      assert.equal(r.outcome, undefined);
      const [modal] = r.stub.modals();
      if (manager === 'none') {
        assert.match(modal.detail, /runtime only: the change is lost at the next reboot/);
        assert.doesNotMatch(modal.detail, /written exactly as/);
      } else {
        // The bridge's whole end state is saved: STP now off, in VirtNet's own file(s).
        assert.match(modal.detail, /written exactly as:/, `files listed for ${manager}`);
        assert.match(modal.detail, /Written by VirtNet/);
        assert.match(modal.message, /persisted with/);
        assert.match(await vscode.env.clipboard.readText(), /virtnet-write/);
      }
      assert.equal((await inventory()).bridges.find((b) => b.name === BR)?.stp, true, 'nothing ran: STP still on');
    } finally {
      await setSetting('persistence', 'runtime');
    }
  });

  test("Delete Bridge of br9 (it holds the host's address) warns naming it; declining runs nothing", async () => {
    const { stub: s } = await run(undefined, 'virtnet.bridge.delete', 'br9');
    const [insist] = s.modals();
    assert.ok(insist, 'a warning');
    assert.match(insist.message, /br9 carries the host's addresses/);
    assert.deepEqual(insist.items, ['Delete Anyway']);
    assert.equal(s.modals().length, 1, 'no plan was offered after declining');
    assert.ok((await inventory()).bridges.some((b) => b.name === 'br9'));
  });

  test('Delete Tap and Delete Bridge take ours away', async () => {
    let r = await run('Apply', 'virtnet.tap.delete', TAP);
    assert.equal(r.outcome?.kind, 'applied', r.outcome?.message);
    r = await run('Apply', 'virtnet.bridge.delete', BR);
    assert.equal(r.outcome?.kind, 'applied', r.outcome?.message);
    const m = await inventory();
    assert.ok(!m.links.some((l) => l.name === TAP || l.name === BR));
    assert.ok(
      m.bridges.some((b) => b.name === 'br9'),
      'br9 untouched',
    );
  });
});
