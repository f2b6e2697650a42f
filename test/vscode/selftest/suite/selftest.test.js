// Proves the harness end to end: the extension under development is loaded, and it runs inside
// the VS Code version we pinned (1.100.x from code-server 4.100.3).
const assert = require('node:assert/strict');
const vscode = require('vscode');

suite('harness self-check', () => {
  test('the extension under development registered its command', async () => {
    const ext = vscode.extensions.getExtension('virtnet.virtnet-selftest');
    assert.ok(ext, 'extension virtnet.virtnet-selftest is loaded');
    await ext.activate();
    const commands = await vscode.commands.getCommands(true);
    assert.ok(commands.includes('selftest.hello'), 'selftest.hello is registered');
    assert.equal(await vscode.commands.executeCommand('selftest.hello'), 'hello from selftest');
  });

  test('runs in VS Code 1.100', () => {
    // selftest/run.sh sets a wrong prefix once, to prove a failing test makes the runner fail.
    const prefix = process.env.VIRTNET_SELFTEST_VERSION_PREFIX ?? '1.100';
    assert.ok(vscode.version.startsWith(prefix), `vscode.version is ${vscode.version}, expected ${prefix}*`);
  });

  test('environment passed with --env reaches the extension host', () => {
    // run-suite's self-check passes VIRTNET_SELFTEST_ENV=ok; skipped when run without it.
    if (process.env.VIRTNET_SELFTEST_ENV === undefined) return;
    assert.equal(process.env.VIRTNET_SELFTEST_ENV, 'ok');
  });

  test('the UI is the web workbench', () => {
    // Documented limit: no Electron main process under this harness.
    assert.equal(vscode.env.uiKind, vscode.UIKind.Web);
  });

  test('remoteName is the server authority', () => {
    // Documented limit: under this server remoteName is "127.0.0.1:<port>", not "ssh-remote".
    assert.match(String(vscode.env.remoteName), /^127\.0\.0\.1:\d+$/);
  });
});
