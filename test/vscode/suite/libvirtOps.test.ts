/// <reference types="mocha" />
/**
 * The libvirt edits from the tree, in a real VS Code against the seeded lab host: a NIC node's
 * Set Link Down / Set Link Up (the node supplies the VM and the MAC), a lease's Make Lease Static
 * (and Remove Static DHCP Host), a network node's Set MTU, Create Network from a command (an
 * isolated one: the device is not asked for) and Delete Network on its node, each through the
 * real flow (modal answered by the WindowStub seam); the tree and its tooltips show the new
 * facts; the host's own virsh says what happened. Only zxdb's NIC (a stopped VM: its definition), c7's reservation and
 * default's MTU and DNS domain (Edit Definition..., in an editor) are changed, and all are put back;
 * suiteiso is made and deleted; a port forward to c7 is added from its node and removed from its own,
 * and a hand-written DNAT to c7 is adopted from its node and removed; a NIC is added to zxdb's
 * definition and removed from its node; New VM Command Line... on default opens its lines.
 */
import * as assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as vscode from 'vscode';
import type { VirtNetApi } from '../../../src/extension';
import { SshExecutor } from '../../../src/core/exec/ssh';
import { LAB_HOST, LAB_SSH_CONFIG, TreeWalker, api, description, label, setSetting } from './helpers';
import { runAnswered, WindowStub } from './window';

suite('libvirt edits from the tree: lab host', function () {
  this.timeout(120_000);
  const H = LAB_HOST ?? '';
  let a: VirtNetApi;
  let truth: SshExecutor;
  let controlDir: string;

  const virsh = async (...args: string[]) => (await truth.run(['virsh', '-q', '-c', 'qemu:///system', ...args], { root: true })).stdout;
  const run = async (command: string, ...args: unknown[]) => (await runAnswered('Apply', command, ...args)).outcome;
  const zxdbNic = async () => {
    const tree = new TreeWalker(a);
    const host = await tree.host(H);
    const vms = await tree.child(host.node, `host:${H}/vms`);
    const vm = await tree.child(vms.node, `host:${H}/vm/zxdb`);
    const nic = (await tree.children(vm.node)).find((n) => label(n.item) === 'bridge br9');
    assert.ok(nic, 'zxdb has its NIC on br9');
    return nic;
  };
  const tooltip = (d: { item: vscode.TreeItem; node: unknown }) => {
    const tip = a.getTreeProvider().resolveTreeItem(d.item, d.node as never).tooltip;
    return tip instanceof vscode.MarkdownString ? tip.value : String(tip ?? '');
  };

  suiteSetup(async function () {
    if (!LAB_HOST) return this.skip();
    a = await api();
    controlDir = mkdtempSync(path.join(os.tmpdir(), 'virtnet-suite-'));
    truth = new SshExecutor(H, { configFile: LAB_SSH_CONFIG, controlDir });
    if (LAB_SSH_CONFIG) await setSetting('sshConfigFile', LAB_SSH_CONFIG);
    await setSetting('hosts', [H]);
    await a.refreshAll();
  });

  suiteTeardown(async () => {
    if (!LAB_HOST) return;
    await truth.dispose();
    rmSync(controlDir, { recursive: true, force: true });
    await setSetting('hosts', []);
    await setSetting('sshConfigFile', undefined);
  });

  test("Set Link Down on a stopped VM's NIC node: its definition says down, and the tree says so", async () => {
    const before = await zxdbNic();
    assert.match(String(before.item.contextValue), /^vm-nic:emulated:link-up:fwd-no$/);
    const mac = /([0-9a-f]{2}(:[0-9a-f]{2}){5})/.exec(description(before.item))![1]!;
    let r = await run('virtnet.nic.linkDown', before.node);
    assert.equal(r?.kind, 'applied', r?.message);
    // Down on that NIC: its <mac> and then <link state='down'/>, with no other NIC between.
    const downOnIt = new RegExp(`<mac address='${mac}'/>(?:(?!</interface>)[\\s\\S])*<link state='down'/>`);
    assert.match(await virsh('dumpxml', '--inactive', 'zxdb'), downOnIt);
    const down = await zxdbNic();
    assert.equal(down.item.contextValue, 'vm-nic:emulated:link-down:fwd-no');
    assert.match(description(down.item), /link down/);
    assert.match(tooltip(down), /link: `down`/);
    r = await run('virtnet.nic.linkUp', down.node);
    assert.equal(r?.kind, 'applied', r?.message);
    assert.doesNotMatch(await virsh('dumpxml', '--inactive', 'zxdb'), downOnIt);
  });

  test('Add NIC... on zxdb (stopped: its definition) shows the NIC in the tree; Remove NIC on its node takes it away', async () => {
    const mac = '52:54:00:5e:00:01';
    let r = await run('virtnet.nic.attach', H, { domain: 'zxdb', network: 'default', mac, model: 'e1000e' });
    assert.equal(r?.kind, 'applied', r?.message);
    assert.match(await virsh('domiflist', '--domain', 'zxdb', '--inactive'), new RegExp(`default\\s+e1000e\\s+${mac}`));
    const tree = new TreeWalker(a);
    const vms = await tree.child((await tree.host(H)).node, `host:${H}/vms`);
    const vm = await tree.child(vms.node, `host:${H}/vm/zxdb`);
    const nic = (await tree.children(vm.node)).find((n) => label(n.item) === 'network default');
    assert.ok(nic, 'the new NIC is in the tree');
    r = await run('virtnet.nic.detach', nic.node);
    assert.equal(r?.kind, 'applied', r?.message);
    assert.doesNotMatch(await virsh('domiflist', '--domain', 'zxdb', '--inactive'), new RegExp(mac));
  });

  test('New VM Command Line... on the network node: the lines in an editor, the virt-install line first', async () => {
    const tree = new TreeWalker(a);
    const nets = await tree.child((await tree.host(H)).node, `host:${H}/networks`);
    const net = await tree.child(nets.node, `host:${H}/network/default`);
    const doc = (await vscode.commands.executeCommand('virtnet.newVmCmdline', net.node)) as vscode.TextDocument;
    const text = doc.getText();
    assert.match(text, /^# virt-install\nvirt-install --name newvm .* --network network=default,model\.type=virtio,mac\.address=52:54:00:[0-9a-f:]{8}\n/);
    assert.match(text, /ip link set dev vn-newvm master virbr0 up/);
    assert.match(text, /<source network='default'\/>/);
    await vscode.commands.executeCommand('workbench.action.revertAndCloseActiveEditor');
  });

  test("Make Lease Static on c7's lease: default reserves its address live and in its definition; Remove takes it back", async () => {
    const tree = new TreeWalker(a);
    const nets = await tree.child((await tree.host(H)).node, `host:${H}/networks`);
    const net = await tree.child(nets.node, `host:${H}/network/default`);
    const lease = (await tree.children(net.node)).find((k) => k.item.contextValue === 'lease:dynamic' && /VM c7/.test(description(k.item)));
    assert.ok(lease, 'c7 holds a lease on default');
    await vscode.commands.executeCommand('virtnet.copyIp', lease.node);
    assert.equal(await vscode.env.clipboard.readText(), label(lease.item), 'Copy IP Address copies the lease');
    await vscode.commands.executeCommand('virtnet.copyMac', lease.node);
    assert.equal(await vscode.env.clipboard.readText(), '52:54:00:c7:00:01');
    let r = await run('virtnet.network.makeLeaseStatic', lease.node);
    assert.equal(r?.kind, 'applied', r?.message);
    const host = `<host mac='52:54:00:c7:00:01' name='c7' ip='${label(lease.item)}'/>`;
    assert.ok((await virsh('net-dumpxml', '--inactive', 'default')).includes(host), 'in the definition');
    assert.ok((await virsh('net-dumpxml', 'default')).includes(host), 'and live');
    const net2 = await tree.child((await tree.child((await tree.host(H)).node, `host:${H}/networks`)).node, `host:${H}/network/default`);
    assert.match(String(net2.item.contextValue), /:hosts-yes:/);
    assert.ok(
      (await tree.children(net2.node)).some((k) => k.item.contextValue === 'lease:static'),
      'the lease now says it is static',
    );
    r = await run('virtnet.network.removeStaticHost', H, 'default', '52:54:00:c7:00:01');
    assert.equal(r?.kind, 'applied', r?.message);
    assert.ok(!(await virsh('net-dumpxml', '--inactive', 'default')).includes('52:54:00:c7:00:01'));
  });

  test('Create Network (isolated: no device asked) shows in the tree; Delete Network on its node takes it away', async () => {
    let r = await run('virtnet.network.create', H, {
      name: 'suiteiso',
      forward: 'isolated',
      address: '192.168.77.1/24',
      dhcpRange: ['192.168.77.10-192.168.77.20'],
    });
    assert.equal(r?.kind, 'applied', r?.message);
    assert.match(await virsh('net-list', '--name'), /\bsuiteiso\b/);
    const tree = new TreeWalker(a);
    const nets = await tree.child((await tree.host(H)).node, `host:${H}/networks`);
    const net = await tree.child(nets.node, `host:${H}/network/suiteiso`);
    assert.match(description(net.item), /isolated/);
    assert.match(description(net.item), /192\.168\.77\.1\/24/);
    r = await run('virtnet.network.delete', net.node);
    assert.equal(r?.kind, 'applied', r?.message);
    assert.doesNotMatch(await virsh('net-list', '--all', '--name'), /\bsuiteiso\b/);
  });

  test('Set MTU on the network node: the definition has it, the tooltip shows it, and it goes back', async () => {
    const tree = new TreeWalker(a);
    const host = await tree.host(H);
    const nets = await tree.child(host.node, `host:${H}/networks`);
    let net = await tree.child(nets.node, `host:${H}/network/default`);
    let r = await run('virtnet.network.setMtu', net.node, 1400);
    assert.equal(r?.kind, 'applied', r?.message);
    assert.match(await virsh('net-dumpxml', '--inactive', 'default'), /<mtu size='1400'\/>/);
    net = await tree.child((await tree.child((await tree.host(H)).node, `host:${H}/networks`)).node, `host:${H}/network/default`);
    // The running network keeps its MTU until it restarts: the tree says what waits.
    assert.match(tooltip(net), /in its definition, from its next start: `MTU 1400`/);
    assert.match(description(net.item), /edited: restart to apply/);
    r = await run('virtnet.network.setMtu', net.node, 'default');
    assert.equal(r?.kind, 'applied', r?.message);
    assert.doesNotMatch(await virsh('net-dumpxml', '--inactive', 'default'), /<mtu/);
  });

  test('Edit Definition... on the network node: its definition in an editor, edited there, the diff in the modal; "Later" leaves it pending', async () => {
    const tree = new TreeWalker(a);
    const net = await tree.child((await tree.child((await tree.host(H)).node, `host:${H}/networks`)).node, `host:${H}/network/default`);
    const old = await virsh('net-dumpxml', '--inactive', 'default');
    const added = "  <domain name='suite.test'/>";
    // The seam answers the notification after editing the document it opened, as a user would;
    // the restart question (default runs) is answered "Later".
    const w = vscode.window as unknown as { showQuickPick: unknown };
    const savedPick = w.showQuickPick;
    w.showQuickPick = async (items: Thenable<vscode.QuickPickItem[]> | vscode.QuickPickItem[]) => (await items).find((i) => i.label === 'Later');
    let seen = '';
    const stub = new WindowStub((shown) => {
      if (shown.items.includes('Apply Edited Definition')) {
        const editor = vscode.window.visibleTextEditors.find((e) => e.document.isUntitled && e.document.getText().includes('<name>default</name>'));
        seen = editor ? editor.document.getText() : `no editor (${vscode.window.visibleTextEditors.length} visible)`;
        if (!editor || seen.trim() !== old.trim()) return undefined; // fails below, saying what it saw
        const text = editor.document.getText();
        const at = editor.document.positionAt(text.indexOf('\n', text.indexOf('<mac ')) + 1);
        return editor.edit((b) => b.insert(at, `${added}\n`)).then(() => 'Apply Edited Definition') as unknown as string;
      }
      return shown.modal && shown.items.includes('Apply') ? 'Apply' : undefined;
    });
    let r;
    try {
      r = (await vscode.commands.executeCommand('virtnet.network.redefine', net.node)) as { kind: string; message: string } | undefined;
    } finally {
      stub.restore();
      w.showQuickPick = savedPick;
    }
    assert.equal(
      r?.kind,
      'applied',
      `${r?.message}; shown: ${JSON.stringify(stub.shown)}; the editor held: ${JSON.stringify(seen)}; the host: ${JSON.stringify(old)}`,
    );
    const modal = stub.modals()[0];
    assert.ok(modal?.detail.includes(`+ ${added}`), `the modal shows the diff: ${modal?.detail}`);
    assert.match(modal?.detail ?? '', /keeps running it as it was until it restarts/);
    assert.ok((await virsh('net-dumpxml', '--inactive', 'default')).includes(added), 'in the definition');
    const after = await tree.child((await tree.child((await tree.host(H)).node, `host:${H}/networks`)).node, `host:${H}/network/default`);
    assert.match(description(after.item), /edited: restart to apply/);
    // Back as it was, from a script's named arguments (no editor).
    r = await run('virtnet.network.redefine', H, { network: 'default', file: old, restart: false });
    assert.equal(r?.kind, 'applied', r?.message);
    assert.equal(await virsh('net-dumpxml', '--inactive', 'default'), old);
  });

  test("Forward a Port... on c7 (on NAT): its NIC shows the forward; Remove Port Forward on it takes it and VirtNet's files away; zxdb (on br9) is not offered it", async () => {
    const tree = new TreeWalker(a);
    const vms = await tree.child((await tree.host(H)).node, `host:${H}/vms`);
    const vm = await tree.child(vms.node, `host:${H}/vm/c7`);
    assert.match(String(vm.item.contextValue), /^vm:running:fwd-yes$/);
    assert.match(String((await tree.child(vms.node, `host:${H}/vm/zxdb`)).item.contextValue), /:fwd-no$/);
    let r = await run('virtnet.forward.add', vm.node, { ports: '19922:22', proto: 'tcp' });
    assert.equal(r?.kind, 'applied', r?.message);
    assert.match(
      await truth.run(['iptables', '-t', 'nat', '-S', 'VIRTNET_DNAT'], { root: true }).then((x) => x.stdout),
      /--dport 19922 .*-j DNAT --to-destination 192\.168\.122\.\d+:22/,
    );
    const tree2 = new TreeWalker(a);
    const vm2 = await tree2.child((await tree2.child((await tree2.host(H)).node, `host:${H}/vms`)).node, `host:${H}/vm/c7`);
    const nic = (await tree2.children(vm2.node)).find((k) => /^vm-nic:.*:fwd-yes$/.test(String(k.item.contextValue)));
    assert.ok(nic, "c7's NIC on default");
    const fwd = (await tree2.children(nic.node)).find((k) => k.item.contextValue === 'forward');
    assert.ok(fwd, 'the forward shows under the NIC');
    assert.equal(label(fwd.item), 'tcp *:19922 → 22');
    // And under the network, on c7's NIC there.
    const net = await tree2.child((await tree2.child((await tree2.host(H)).node, `host:${H}/networks`)).node, `host:${H}/network/default`);
    const onNet = (await tree2.children(net.node)).find((k) => String(k.item.contextValue).startsWith('network-nic:') && label(k.item) === 'c7');
    assert.ok(onNet && (await tree2.children(onNet.node)).some((k) => k.item.contextValue === 'forward'), "the forward under default's c7 too");
    r = await run('virtnet.forward.remove', fwd.node);
    assert.equal(r?.kind, 'applied', r?.message);
    const left = await truth.run(['sh', '-c', 'ls /var/lib/libvirt/virtnet /etc/libvirt/hooks/qemu.d 2>/dev/null; iptables -S | grep -c VIRTNET || true'], {
      root: true,
    });
    assert.doesNotMatch(left.stdout, /forwards|virtnet-forwards/);
    assert.match(left.stdout.trim(), /^0$/m);
    // c7's lease became its static host: put back as it was.
    r = await run('virtnet.network.removeStaticHost', H, 'default', '52:54:00:c7:00:01');
    assert.equal(r?.kind, 'applied', r?.message);
  });

  test("the guide's hand-written DNAT to c7 shows under its NIC; Adopt Port Forward makes it VirtNet's and deletes the rule", async () => {
    const c7 = async () => {
      const t = new TreeWalker(a);
      const vm = await t.child((await t.child((await t.host(H)).node, `host:${H}/vms`)).node, `host:${H}/vm/c7`);
      const nic = (await t.children(vm.node)).find((k) => /^vm-nic:.*:fwd-yes$/.test(String(k.item.contextValue)))!;
      return { t, nic, ip: description(nic.item).match(/192\.168\.122\.\d+/)![0] };
    };
    const { ip } = await c7();
    await truth.run(['iptables', '-w', '-t', 'nat', '-A', 'PREROUTING', '-p', 'tcp', '--dport', '19924', '-j', 'DNAT', '--to-destination', `${ip}:22`], {
      root: true,
    });
    await a.refreshAll();
    const { t, nic } = await c7();
    const hand = (await t.children(nic.node)).find((k) => k.item.contextValue === 'hand-forward');
    assert.ok(hand, "the hand rule shows under c7's NIC");
    assert.match(description(hand.item), /written by hand/);
    let r = await run('virtnet.forward.adopt', hand.node);
    assert.equal(r?.kind, 'applied', r?.message);
    const nat = (await truth.run(['iptables', '-w', '-t', 'nat', '-S'], { root: true })).stdout;
    assert.match(nat, /-A VIRTNET_DNAT .*--dport 19924 .*-j DNAT --to-destination 192\.168\.122\.\d+:22/);
    assert.doesNotMatch(nat, /-A PREROUTING -p tcp -m tcp --dport 19924/);
    r = await run('virtnet.forward.remove', H, 'c7', '19924');
    assert.equal(r?.kind, 'applied', r?.message);
    r = await run('virtnet.network.removeStaticHost', H, 'default', '52:54:00:c7:00:01');
    assert.equal(r?.kind, 'applied', r?.message);
  });
});
