/** Add Host... and Remove Host: edit `virtnet.hosts`; the registry follows the setting. */
import * as vscode from 'vscode';
import { validateSshDestination } from '../core/exec/ssh';
import { defaultSshConfigPath, readSshConfigHostNames } from '../hosts/sshConfig';
import { readSettings, writeHosts } from '../hosts/settings';
import { Cancelled, type CommandContext } from '../flow/context';
import { resolveHost } from '../flow/hosts';

interface DestItem extends vscode.QuickPickItem {
  dest: string;
}

/** A QuickPick of the ssh config's hosts that also takes any typed destination. */
async function pickDestination(configPath: string, already: string[]): Promise<string> {
  const known = (await readSshConfigHostNames(configPath)).filter((h) => !already.includes(h));
  const fromConfig: DestItem[] = known.map((h) => ({ label: h, description: 'from ssh config', dest: h }));
  const qp = vscode.window.createQuickPick<DestItem>();
  qp.title = 'VirtNet: Add Host';
  qp.placeholder = 'An ssh config Host, or user@host[:port] / ssh://user@host:port';
  qp.ignoreFocusOut = true;
  qp.items = fromConfig;
  qp.onDidChangeValue((value) => {
    const typed = value.trim();
    const invalid = typed ? validateSshDestination(typed) : null;
    // The typed text becomes the first item unless it is exactly a known Host; an invalid one
    // says why and cannot be accepted (QuickPick has no validation message in stable API).
    const extra: DestItem[] =
      !typed || known.includes(typed)
        ? []
        : invalid
          ? [{ label: `$(error) ${typed}`, description: invalid, dest: '', alwaysShow: true }]
          : [{ label: typed, description: 'SSH destination', dest: typed, alwaysShow: true }];
    qp.items = [...extra, ...fromConfig];
  });
  try {
    return await new Promise<string>((resolve, reject) => {
      qp.onDidAccept(() => {
        const chosen = qp.selectedItems[0]?.dest ?? qp.value.trim();
        if (validateSshDestination(chosen)) return;
        resolve(chosen);
        qp.hide();
      });
      qp.onDidHide(() => reject(new Cancelled()));
      qp.show();
    });
  } finally {
    qp.dispose();
  }
}

export async function addHost(ctx: CommandContext, arg?: unknown): Promise<string> {
  const settings = readSettings();
  let dest: string;
  if (typeof arg === 'string') {
    // Scripted use (tests, other extensions): the destination comes as the argument.
    const invalid = validateSshDestination(arg);
    if (invalid) throw new Error(invalid);
    dest = arg;
  } else {
    dest = await pickDestination(settings.sshConfigFile ?? defaultSshConfigPath(), settings.hosts);
  }
  if (!settings.hosts.includes(dest)) {
    await writeHosts([...settings.hosts, dest]);
  }
  ctx.registry.reconcile();
  const session = ctx.registry.find(dest);
  if (session) void ctx.refreshHost(session);
  return dest;
}

export async function removeHost(ctx: CommandContext, arg?: unknown): Promise<void> {
  const session = await resolveHost(ctx, arg, 'Remove which host?', (s) => !s.isThisHost);
  if (session.isThisHost) {
    throw new Error('this host is shown by the setting virtnet.showThisHost; turn that off to hide it');
  }
  const settings = readSettings();
  await writeHosts(settings.hosts.filter((h) => h !== session.dest));
  ctx.registry.reconcile();
}
