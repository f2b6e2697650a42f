/** VirtNet's VS Code entry point: a thin layer over the core (views and commands come in later). */
import * as vscode from 'vscode';

export function activate(context: vscode.ExtensionContext): void {
  const log = vscode.window.createOutputChannel('VirtNet', { log: true });
  context.subscriptions.push(log);
}

export function deactivate(): void {}
