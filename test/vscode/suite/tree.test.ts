/// <reference types="mocha" />
/**
 * The tree's real nodes: this host, a lab host over SSH (skipped without VIRTNET_TEST_HOST) and an
 * unreachable host, which must show its error as nodes rather than throw.
 */
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import type { VirtNetApi } from '../../../src/extension';
import { LAB_HOST, LAB_SSH_CONFIG, TreeWalker, api, description, label, setSetting } from './helpers';

const UNREACHABLE = 'ssh://root@127.0.0.1:1';

suite('tree: this host', () => {
  let a: VirtNetApi;
  let tree: TreeWalker;

  suiteSetup(async () => {
    a = await api();
    tree = new TreeWalker(a);
    await setSetting('hosts', []);
    await a.refreshAll();
  });

  test('this host is a root with a where-it-runs description', async () => {
    const { item } = await tree.host('local');
    assert.match(String(item.contextValue), /^host:(ok|error):this$/);
    assert.match(description(item), /this host · (local|Remote-SSH|VS Code server)/);
  });

  test('this host shows groups or error nodes, never nothing', async () => {
    const host = await tree.host('local');
    const kids = await tree.children(host.node);
    assert.ok(kids.length > 0);
    // The suite's output says why when this machine cannot be read (no libvirt is fine).
    if (host.item.contextValue !== 'host:ok:this') console.log(`    this host: ${kids.map((k) => label(k.item)).join('; ')}`);
    if (host.item.contextValue === 'host:ok:this') {
      assert.deepEqual(
        kids.map((k) => k.item.contextValue),
        ['group:bridges', 'group:networks', 'group:vms', 'group:pci', 'group:readiness'],
      );
    }
  });
});

suite('tree: unreachable host', () => {
  let a: VirtNetApi;
  let tree: TreeWalker;

  suiteSetup(async () => {
    a = await api();
    tree = new TreeWalker(a);
    await setSetting('hosts', [UNREACHABLE]);
    await a.refreshAll();
  });

  suiteTeardown(async () => {
    await setSetting('hosts', []);
  });

  test('the error and its actions are child nodes', async () => {
    const host = await tree.host(UNREACHABLE);
    assert.equal(host.item.contextValue, 'host:error:ssh');
    const kids = await tree.children(host.node);
    const error = kids.find((k) => k.item.contextValue === 'status:error');
    assert.ok(error, 'an error node');
    assert.match(label(error.item), /unreachable/);
    const retry = kids.find((k) => k.item.contextValue === 'action:retry');
    assert.ok(retry, 'a Retry node');
    assert.equal(retry.item.command?.command, 'virtnet.refreshHost');
    assert.ok(
      kids.some((k) => k.item.contextValue === 'action:log'),
      'a Show log node',
    );
    assert.ok(
      kids.some((k) => k.item.contextValue === 'action:settings'),
      'an Edit hosts setting node',
    );
  });

  test('Retry runs without throwing and leaves the error in the tree', async () => {
    const host = await tree.host(UNREACHABLE);
    const retry = (await tree.children(host.node)).find((k) => k.item.contextValue === 'action:retry')!;
    await vscode.commands.executeCommand(retry.item.command!.command, ...(retry.item.command!.arguments ?? []));
    assert.equal((await tree.host(UNREACHABLE)).item.contextValue, 'host:error:ssh');
  });
});

suite('tree: lab host', function () {
  let a: VirtNetApi;
  let tree: TreeWalker;
  const H = LAB_HOST ?? '';

  suiteSetup(async function () {
    if (!LAB_HOST) return this.skip();
    a = await api();
    tree = new TreeWalker(a);
    if (LAB_SSH_CONFIG) await setSetting('sshConfigFile', LAB_SSH_CONFIG);
    await setSetting('hosts', [LAB_HOST]);
    await a.refreshAll();
  });

  suiteTeardown(async () => {
    if (!LAB_HOST) return;
    await setSetting('hosts', []);
    await setSetting('sshConfigFile', undefined);
  });

  async function group(kind: string) {
    const host = await tree.host(H);
    if (host.item.contextValue !== 'host:ok:ssh') {
      const why = (await tree.children(host.node)).map((k) => label(k.item)).join('; ');
      const cfg = vscode.workspace.getConfiguration('virtnet').inspect('sshConfigFile');
      assert.fail(`${H} is ${host.item.contextValue}: ${why} (sshConfigFile ${JSON.stringify(cfg)})`);
    }
    return tree.child(host.node, `host:${H}/${kind}`);
  }

  test('bridge br9 has ports enp3s1 and vnet0', async () => {
    const br9 = await tree.child((await group('bridges')).node, `host:${H}/bridge/br9`);
    assert.match(String(br9.item.contextValue), /^bridge:/);
    const ports = (await tree.children(br9.node)).map((p) => p.item.id);
    assert.ok(ports.includes(`host:${H}/bridge/br9/port/enp3s1`), ports.join(', '));
    assert.ok(ports.includes(`host:${H}/bridge/br9/port/vnet0`), ports.join(', '));
  });

  test('network default has a DHCP lease of VM c7', async () => {
    const net = await tree.child((await group('networks')).node, `host:${H}/network/default`);
    assert.equal(net.item.contextValue, 'network:active:defined:autostart-on:hosts-no:ranges-yes');
    const kids = await tree.children(net.node);
    const lease = kids.find((k) => k.item.contextValue === 'lease:dynamic' && /VM c7/.test(description(k.item)));
    assert.ok(lease, kids.map((k) => `${label(k.item)} ${description(k.item)}`).join('; '));
  });

  test('VM c7 runs with a virtio NIC on default', async () => {
    const vm = await tree.child((await group('vms')).node, `host:${H}/vm/c7`);
    assert.equal(vm.item.contextValue, 'vm:running:fwd-yes');
    const nics = (await tree.children(vm.node)).filter((k) => String(k.item.contextValue).startsWith('vm-nic:'));
    const nic = nics.find((n) => label(n.item) === 'network default');
    assert.ok(nic, nics.map((n) => label(n.item)).join(', '));
    assert.equal(nic.item.contextValue, 'vm-nic:virtio:link-up:fwd-yes');
  });

  test('VM zxdb has an emulated rtl8139 NIC on br9 with the virtio hint', async () => {
    const vm = await tree.child((await group('vms')).node, `host:${H}/vm/zxdb`);
    const nic = (await tree.children(vm.node)).find((n) => label(n.item) === 'bridge br9');
    assert.ok(nic);
    assert.equal(nic.item.contextValue, 'vm-nic:emulated:link-up:fwd-no');
    assert.match(description(nic.item), /rtl8139/);
    assert.match(description(nic.item), /virtio/);
    const tip = a.getTreeProvider().resolveTreeItem(nic.item, nic.node).tooltip;
    assert.ok(tip instanceof vscode.MarkdownString && /virtio-net.*fast choice/.test(tip.value));
  });

  test('the readiness group has checks', async () => {
    const checks = await tree.children((await group('readiness')).node);
    assert.ok(checks.length > 0);
    for (const c of checks) assert.match(String(c.item.contextValue), /^check:(ok|failed)$/);
  });

  test('Open libvirt XML of network default shows its XML', async () => {
    const net = await tree.child((await group('networks')).node, `host:${H}/network/default`);
    const doc = await vscode.commands.executeCommand<vscode.TextDocument>('virtnet.openXml', net.node);
    assert.ok(doc, 'a document');
    assert.equal(doc.uri.scheme, 'virtnet-xml');
    assert.match(doc.getText(), /<name>default<\/name>/);
  });

  test('Copy Inventory as JSON puts the model on the clipboard', async () => {
    const host = await tree.host(H);
    await vscode.env.clipboard.writeText('');
    await vscode.commands.executeCommand('virtnet.copyInventory', host.node);
    const model = JSON.parse(await vscode.env.clipboard.readText());
    assert.ok(Array.isArray(model.bridges));
    assert.ok(model.bridges.some((b: { name: string }) => b.name === 'br9'));
  });
});

suite('copy inventory (this host)', () => {
  test('puts valid JSON with bridges on the clipboard', async function () {
    const a = await api();
    await vscode.env.clipboard.writeText('');
    // Reads this host first when it was never read; the command itself never throws.
    await vscode.commands.executeCommand('virtnet.copyInventory', 'local');
    const host = await new TreeWalker(a).host('local');
    if (host.item.contextValue !== 'host:ok:this') return this.skip();
    const model = JSON.parse(await vscode.env.clipboard.readText());
    assert.ok(Array.isArray(model.bridges));
    assert.equal(model.host, 'local');
  });
});
