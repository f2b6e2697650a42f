/**
 * package.json against the code, without VS Code: every command the catalog and the view
 * commands define is contributed with the same title and category, and nothing else is; every
 * menu `when` clause matches tokens the tree's typed contextValue builders can make, and only
 * tokens of nodes that supply what the command acts on, so no menu entry can only end in a
 * refusal. (The VS Code suite checks the same ids are registered at run time.)
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { catalogCommands, CATALOG } from '../../src/core/ops/catalog/index';
import type { OpCommand } from '../../src/core/ops/catalog/types';
import { VIEW_COMMANDS } from '../../src/commands/viewCommands';
import { allFacts, offers, tokenOf } from '../../src/views/contextValues';

interface Contributed {
  command: string;
  title: string;
  category?: string;
  icon?: string;
}
interface MenuEntry {
  command: string;
  when?: string;
  group?: string;
}
const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
  contributes: {
    commands: Contributed[];
    menus: Record<string, MenuEntry[]>;
    walkthroughs?: { steps: { completionEvents?: string[]; description: string }[] }[];
  };
};
const contributed = new Map(pkg.contributes.commands.map((c) => [c.command, c]));
const ops = catalogCommands();
const tokens = allFacts().map((f) => ({ facts: f, token: tokenOf(f) }));

test('every catalog and view command is contributed with its title and category, and nothing else is', () => {
  const expected = new Map<string, string>([
    ...VIEW_COMMANDS.map((c) => [c.id, c.title] as const),
    ...ops.map(({ command }) => [command.id, command.title] as const),
  ]);
  assert.equal(expected.size, VIEW_COMMANDS.length + ops.length, 'command ids are unique');
  for (const [id, title] of expected) {
    const c = contributed.get(id);
    assert.ok(c, `${id} is not contributed`);
    assert.equal(c.title, title, `${id}'s title`);
    assert.equal(c.category, 'VirtNet', `${id}'s category`);
  }
  for (const id of contributed.keys()) assert.ok(expected.has(id), `${id} is contributed but neither in the catalog nor a view command`);
});

test('catalog command ids name their area; icons are codicons', () => {
  for (const { op, command } of ops) {
    assert.match(command.id, new RegExp(`^virtnet\\.${op.area}\\.[a-z][A-Za-z]+$`), command.id);
    if (command.icon) assert.equal(contributed.get(command.id)?.icon, `$(${command.icon})`, `${command.id}'s icon`);
  }
  for (const c of contributed.values()) if (c.icon) assert.match(c.icon, /^\$\([a-z-]+\)$/, c.command);
  assert.deepEqual([...new Set(CATALOG.map((o) => o.id))].length, CATALOG.length, 'operation ids are unique');
});

/** "..." exactly when the command asks for more than the node it runs on supplies. */
function asksForMore(command: OpCommand): boolean {
  if (command.form) return true;
  const op = CATALOG.find((o) => o.commands.includes(command))!;
  return command.ask.some((name) => {
    const kind = op.args.find((a) => a.name === name)!.kind;
    // A switch is not input; the node supplies its own kind (a port node its bridge, a NIC or forward node its VM).
    return (
      kind !== 'force' &&
      kind !== 'flag' &&
      !command.targets.includes(kind) &&
      !(kind === 'bridge' && command.targets.includes('port')) &&
      !(kind === 'domain' && (['nic', 'forwardedPort', 'handForward'] as const).some((t) => command.targets.includes(t))) &&
      !(kind === 'network' && (['dhcpHost', 'staticHost', 'networkRange'] as const).some((t) => command.targets.includes(t)))
    );
  });
}

test('titles end with "..." exactly when the command asks for more than its node supplies', () => {
  for (const { command } of ops) {
    assert.equal(command.title.endsWith('...'), asksForMore(command), `${command.id}: "${command.title}"`);
  }
});

/** The tokens a `when` clause's viewItem test matches, or null when it has none. */
function matching(when: string): string[] | null {
  const re = /viewItem =~ \/(.+?)\/(?= |$)/.exec(when);
  const eq = /viewItem == ([^\s)]+)/.exec(when);
  if (re) return tokens.filter((t) => new RegExp(re[1]!).test(t.token)).map((t) => t.token);
  if (eq) return tokens.filter((t) => t.token === eq[1]).map((t) => t.token);
  return null;
}

test('every tree menu entry matches some node, and a catalog command only nodes that supply its target', () => {
  const byId = new Map(ops.map((o) => [o.command.id, o.command]));
  let checked = 0;
  for (const e of pkg.contributes.menus['view/item/context'] ?? []) {
    const when = e.when ?? '';
    assert.match(when, /view == virtnet\.hosts/, `${e.command}: menu entries are for the VirtNet view`);
    const m = matching(when);
    assert.ok(m && m.length > 0, `${e.command} "${when}" matches no token any node can have`);
    const command = byId.get(e.command);
    if (!command) continue;
    for (const token of m) {
      const facts = tokens.find((t) => t.token === token)!.facts;
      const supplied = offers(facts);
      assert.ok(
        command.targets.some((t) => supplied.includes(t)),
        `${e.command} is offered on "${token}", which supplies ${supplied.join(', ') || 'nothing'}; the command acts on ${command.targets.join(' or ')}: it could only end in a refusal`,
      );
      checked++;
    }
  }
  assert.ok(checked > 20, `${checked} token/entry pairs checked`);
});

test('the menus that used to end in refusals cannot be written any more', () => {
  // Bridge My Uplink on a bridge port (always enslaved) and Delete Tap on a VM's tap.
  const port = tokens.filter((t) => t.facts.node === 'port' && /^port:(physical|veth):/.test(t.token));
  assert.ok(port.length > 0);
  for (const t of port) assert.ok(!offers(t.facts).includes('uplinkNic'));
  const vmTap = tokens.find((t) => t.token === 'port:tap:vm')!;
  assert.ok(!offers(vmTap.facts).includes('rawTap'));
  assert.ok(offers(tokens.find((t) => t.token === 'port:tap:none')!.facts).includes('rawTap'));
  assert.ok(!offers(tokens.find((t) => t.token === 'pci:nic:bridged')!.facts).includes('uplinkNic'));
  assert.ok(offers(tokens.find((t) => t.token === 'pci:nic:free')!.facts).includes('uplinkNic'));
});

test('menus, the palette and walkthroughs only name contributed commands', () => {
  for (const [menu, entries] of Object.entries(pkg.contributes.menus)) {
    for (const e of entries) assert.ok(contributed.has(e.command), `${menu} names ${e.command}`);
  }
  for (const w of pkg.contributes.walkthroughs ?? []) {
    for (const s of w.steps) {
      for (const ev of s.completionEvents ?? []) if (ev.startsWith('onCommand:')) assert.ok(contributed.has(ev.slice(10)), ev);
      for (const [, id] of s.description.matchAll(/\(command:([a-zA-Z.]+)/g))
        // VS Code makes `<view>.focus` for every view, and owns `workbench.*`.
        assert.ok(contributed.has(id!) || id!.startsWith('workbench.') || id === 'virtnet.hosts.focus', `walkthrough links ${id}`);
    }
  }
});

test('commands that need a tree node are hidden from the palette, and only those', () => {
  const hidden = new Set((pkg.contributes.menus.commandPalette ?? []).filter((e) => e.when === 'false').map((e) => e.command));
  assert.deepEqual(
    [...hidden].sort(),
    VIEW_COMMANDS.filter((c) => c.nodeOnly)
      .map((c) => c.id)
      .sort(),
  );
});
