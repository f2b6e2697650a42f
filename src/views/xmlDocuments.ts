/**
 * Read-only editors of libvirt XML, as a VS Code document scheme:
 * `virtnet-xml://<host>/network/<name>.xml` and `virtnet-xml://<host>/domain/<name>.xml`.
 * The text comes from `virsh net-dumpxml` / `virsh dumpxml` on that host, each time it is opened.
 */
import * as vscode from 'vscode';
import type { HostRegistry } from '../hosts/registry';

export const XML_SCHEME = 'virtnet-xml';

export type XmlKind = 'network' | 'domain';

export function xmlUri(host: string, kind: XmlKind, name: string): vscode.Uri {
  // SSH destinations may hold `/` or `:` (ssh://user@h:22): the authority carries them encoded.
  return vscode.Uri.from({ scheme: XML_SCHEME, authority: encodeURIComponent(host), path: `/${kind}/${name}.xml` });
}

export function parseXmlUri(uri: vscode.Uri): { host: string; kind: XmlKind; name: string } {
  const m = /^\/(network|domain)\/(.+)\.xml$/.exec(uri.path);
  if (uri.scheme !== XML_SCHEME || !m) throw new Error(`not a VirtNet XML address: ${uri.toString()}`);
  return { host: decodeURIComponent(uri.authority), kind: m[1] as XmlKind, name: m[2] };
}

/** The virsh argv that prints an object's XML; the name is one argv element, never parsed by a shell. */
export function dumpXmlArgv(kind: XmlKind, name: string): string[] {
  return kind === 'network'
    ? ['virsh', '--connect', 'qemu:///system', 'net-dumpxml', '--network', name]
    : ['virsh', '--connect', 'qemu:///system', 'dumpxml', '--domain', name];
}

export class XmlDocumentProvider implements vscode.TextDocumentContentProvider, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<vscode.Uri>();
  readonly onDidChange = this.changed.event;

  constructor(private readonly registry: HostRegistry) {}

  async provideTextDocumentContent(uri: vscode.Uri, token: vscode.CancellationToken): Promise<string> {
    const { host, kind, name } = parseXmlUri(uri);
    const session = this.registry.find(host);
    if (!session) throw new Error(`VirtNet: host ${host} is no longer in the list of hosts`);
    const abort = new AbortController();
    const sub = token.onCancellationRequested(() => abort.abort());
    try {
      const result = await session.getExecutor().run(dumpXmlArgv(kind, name), {
        root: 'if-available',
        timeoutMs: 30_000,
        signal: abort.signal,
      });
      return result.stdout;
    } finally {
      sub.dispose();
    }
  }

  /** Makes open editors of this URI read the host again. */
  reload(uri: vscode.Uri): void {
    this.changed.fire(uri);
  }

  dispose(): void {
    this.changed.dispose();
  }
}
