/**
 * Where "This host" is. The extension is a workspace extension, so it runs wherever the workspace
 * is: on the local machine, or on the remote side of Remote-SSH or a VS Code server.
 */
import * as vscode from 'vscode';

export interface ThisHostPlace {
  remote: boolean;
  /** Short words for the tree: `local`, `Remote-SSH`, `VS Code server`. */
  how: string;
  /** `vscode.env.remoteName` as seen, for the tooltip. */
  remoteName: string | undefined;
}

export function thisHostPlace(extensionKind: vscode.ExtensionKind): ThisHostPlace {
  const remoteName = vscode.env.remoteName;
  // A UI-kind extension stays on the local machine even in a remote window.
  const runsRemote = remoteName !== undefined && extensionKind === vscode.ExtensionKind.Workspace;
  if (!runsRemote) {
    return { remote: false, how: 'local', remoteName };
  }
  if (remoteName === 'ssh-remote') {
    return { remote: true, how: 'Remote-SSH', remoteName };
  }
  return { remote: true, how: 'VS Code server', remoteName };
}
