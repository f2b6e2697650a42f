/** Open libvirt XML: the network's or VM's XML in a read-only editor. */
import * as vscode from 'vscode';
import { VmNode } from '../views/nodes/vms';
import { AttachedNicNode, NetworkNode } from '../views/nodes/networks';
import { xmlUri, type XmlKind } from '../views/xmlDocuments';
import { Cancelled, type CommandContext } from '../flow/context';
import { resolveHost } from '../flow/hosts';

interface Target {
  host: string;
  kind: XmlKind;
  name: string;
}

function targetOfNode(arg: unknown): Target | undefined {
  if (arg instanceof NetworkNode) return { host: arg.session.dest, kind: 'network', name: arg.network.name };
  if (arg instanceof VmNode) return { host: arg.session.dest, kind: 'domain', name: arg.domain.name };
  if (arg instanceof AttachedNicNode) return { host: arg.session.dest, kind: 'domain', name: arg.domain.name };
  return undefined;
}

/** From the palette: a host, then one of its networks or VMs. */
async function pickTarget(ctx: CommandContext): Promise<Target> {
  const session = await resolveHost(ctx, undefined, 'Open libvirt XML of which host?');
  if (!session.model) await ctx.refreshHost(session);
  const model = session.model;
  if (!model) throw new Error(`${session.dest}: no inventory to choose from`);
  const items = [
    ...model.networks.map((n) => ({ label: n.name, description: 'network', target: { host: session.dest, kind: 'network' as const, name: n.name } })),
    ...model.domains.map((d) => ({ label: d.name, description: `VM, ${d.state}`, target: { host: session.dest, kind: 'domain' as const, name: d.name } })),
  ];
  const picked = await vscode.window.showQuickPick(items, { title: 'Open libvirt XML', placeHolder: 'Network or VM' });
  if (!picked) throw new Cancelled();
  return picked.target;
}

export async function openXml(ctx: CommandContext, arg?: unknown): Promise<vscode.TextDocument> {
  const target = targetOfNode(arg) ?? (await pickTarget(ctx));
  const uri = xmlUri(target.host, target.kind, target.name);
  // A document already open keeps its old text otherwise; ask the provider to read it again.
  ctx.xml.reload(uri);
  const doc = await vscode.workspace.openTextDocument(uri);
  if (doc.languageId !== 'xml') await vscode.languages.setTextDocumentLanguage(doc, 'xml').then(undefined, () => undefined);
  await vscode.window.showTextDocument(doc, { preview: true });
  return doc;
}
