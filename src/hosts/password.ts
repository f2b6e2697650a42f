/** Asks for a host's sudo password in VS Code; the executor keeps it in memory only. */
import * as vscode from 'vscode';
import type { PasswordProvider } from '../core/exec/types';

export const askSudoPassword: PasswordProvider = async (host, prompt) => {
  return vscode.window.showInputBox({
    title: `VirtNet: sudo on ${host === 'local' ? 'this host' : host}`,
    prompt,
    password: true,
    // The user may switch windows to look the password up; losing the box would fail the command.
    ignoreFocusOut: true,
  });
};
