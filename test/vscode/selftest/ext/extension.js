// Minimal extension for the harness self-check: one command, so the suite can see that the
// extension under development was really loaded into the server's extension host.
const vscode = require('vscode');

function activate(context) {
  context.subscriptions.push(vscode.commands.registerCommand('selftest.hello', () => 'hello from selftest'));
}

function deactivate() {}

module.exports = { activate, deactivate };
