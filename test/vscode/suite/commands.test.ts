/// <reference types="mocha" />
/** Every command package.json contributes is registered, and every registered one is contributed. */
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { EXTENSION_ID, api } from './helpers';

interface Contributes {
  commands: Array<{ command: string }>;
  views: Record<string, Array<{ id: string }>>;
  menus: Record<string, Array<{ command: string }>>;
}

suite('commands', () => {
  suiteSetup(async () => {
    await api();
  });

  test('contributed and registered commands are the same set', async () => {
    const contributes = vscode.extensions.getExtension(EXTENSION_ID)!.packageJSON.contributes as Contributes;
    const contributed = contributes.commands.map((c) => c.command).sort();
    // VS Code registers `<view id>.focus` and friends itself for every contributed view.
    const viewPrefixes = Object.values(contributes.views)
      .flat()
      .map((v) => `${v.id}.`);
    const registered = (await vscode.commands.getCommands(true)).filter((c) => c.startsWith('virtnet.') && !viewPrefixes.some((p) => c.startsWith(p))).sort();
    assert.ok(contributed.length > 0);
    for (const id of contributed) assert.ok(registered.includes(id), `${id} is contributed but not registered`);
    for (const id of registered) assert.ok(contributed.includes(id), `${id} is registered but not contributed`);
  });

  test('menus only name contributed commands', () => {
    const contributes = vscode.extensions.getExtension(EXTENSION_ID)!.packageJSON.contributes as Contributes;
    const contributed = new Set(contributes.commands.map((c) => c.command));
    for (const [menu, entries] of Object.entries(contributes.menus)) {
      for (const e of entries) assert.ok(contributed.has(e.command), `${menu} names ${e.command}`);
    }
  });
});
