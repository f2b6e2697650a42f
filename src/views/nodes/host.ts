/**
 * A host at the root of the tree. Its children follow the session's state: a loading line, the
 * error with actions that fix it, or the groups built from the last model.
 */
import type * as vscode from 'vscode';
import { tokenOf, type HostState } from '../contextValues';
import { oneLineReason } from '../../core/exec/errors';
import type { HostModel } from '../../core/model/types';
import type { ThisHostPlace } from '../../hosts/thisHost';
import { failureHint, type HostSession } from '../../hosts/session';
import { colors, factsTooltip, hostId, icon, makeItem, VirtNetNode } from './base';
import { bridgesGroup } from './bridges';
import { GroupNode } from './group';
import { networksGroup } from './networks';
import { pciGroup } from './pci';
import { readinessGroup } from './readiness';
import { ActionNode, ErrorNode, LoadingNode } from './status';
import { vmsGroup } from './vms';

export class HostNode extends VirtNetNode {
  constructor(
    private readonly host: HostSession,
    private readonly place: ThisHostPlace,
  ) {
    super(undefined, hostId(host));
  }

  get session(): HostSession {
    return this.host;
  }

  label(): string {
    const s = this.host;
    if (s.isThisHost) return s.model?.info.hostname ?? 'This host';
    return s.dest;
  }

  private stateToken(): HostState {
    switch (this.host.state.kind) {
      case 'ready':
        return 'ok';
      case 'error':
        return 'error';
      case 'loading':
        return 'loading';
      default:
        return 'idle';
    }
  }

  treeItem(): vscode.TreeItem {
    const s = this.host;
    const words: string[] = [];
    if (s.isThisHost) {
      words.push(this.place.remote ? `this host · ${this.place.how}` : 'this host · local');
    } else if (s.model && s.model.info.hostname !== s.dest) {
      words.push(s.model.info.hostname);
    }
    if (s.state.kind === 'loading') words.push('refreshing…');
    if (s.state.kind === 'error') words.push('unreachable or failed');
    const failed = s.model?.checks.filter((c) => !c.ok).length ?? 0;
    const codicon = s.state.kind === 'loading' ? 'loading~spin' : s.isThisHost ? (this.place.remote ? 'remote' : 'vm') : 'server';
    const color = s.state.kind === 'error' ? colors.failed : s.state.kind === 'ready' ? (failed > 0 ? undefined : colors.ok) : undefined;
    return makeItem(this, this.label(), {
      icon: icon(codicon, color),
      description: words.join(' · '),
      contextValue: tokenOf({ node: 'host', state: this.stateToken(), where: s.isThisHost ? 'this' : 'ssh' }),
      collapsible: 'expanded',
    });
  }

  override children(): VirtNetNode[] {
    const s = this.host;
    const state = s.state;
    if (state.kind === 'idle') {
      // First look at this host: start reading it; the session's change event redraws us. Not
      // from inside getChildren: a refresh event for a node whose children VS Code is still
      // fetching registers them twice ("Element with id ... is already registered").
      setTimeout(() => void s.refresh(), 0);
      return [new LoadingNode(this, s)];
    }
    const model = s.model;
    const out: VirtNetNode[] = [];
    if (state.kind === 'error') out.push(...this.errorNodes(state.error));
    if (model) out.push(...this.groups(model));
    else if (state.kind === 'loading') out.push(new LoadingNode(this, s));
    return out;
  }

  groups(model: HostModel): GroupNode[] {
    return [bridgesGroup(model), networksGroup(model), vmsGroup(model), pciGroup(model), readinessGroup(model)].map(
      (spec) => new GroupNode(this, this.host, spec),
    );
  }

  private errorNodes(error: unknown): VirtNetNode[] {
    const s = this.host;
    const full = error instanceof Error ? error.message : String(error);
    return [
      // Under the host's own node its name would only repeat: drop the "<host>: " prefix.
      new ErrorNode(this, s, stripHost(oneLineReason(error), s.dest), failureHint(error), full),
      new ActionNode(this, s, 'retry', 'Retry', 'refresh', { title: 'Retry', command: 'virtnet.refreshHost', arguments: [s.dest] }),
      s.isThisHost
        ? new ActionNode(this, s, 'settings', 'Edit VirtNet settings', 'settings-gear', {
            title: 'Edit VirtNet settings',
            command: 'workbench.action.openSettings',
            arguments: ['virtnet'],
          })
        : new ActionNode(this, s, 'settings', 'Edit hosts setting', 'settings-gear', {
            title: 'Edit hosts setting',
            command: 'workbench.action.openSettings',
            arguments: ['virtnet.hosts'],
          }),
      new ActionNode(this, s, 'log', 'Show log', 'output', { title: 'Show Log', command: 'virtnet.showLog' }),
    ];
  }

  override tooltip(): vscode.MarkdownString {
    const s = this.host;
    const m = s.model;
    const where = s.isThisHost
      ? `this host (${this.place.how}${this.place.remoteName ? `, remote ${this.place.remoteName}` : ''})`
      : `SSH destination ${s.dest}`;
    return factsTooltip(this.label(), [
      ['where', where],
      ['state', s.state.kind],
      ['hostname', m?.info.hostname],
      ['kernel', m?.info.kernel],
      ['network manager', m?.info.networkManager],
      ['read as root', m ? (m.info.root ? 'yes' : 'no (some facts need root)') : undefined],
      ['bridges / networks / VMs', m ? `${m.bridges.length} / ${m.networks.length} / ${m.domains.length}` : undefined],
      ['collected', m ? `${new Date(m.collectedAt).toLocaleString()}${m.collectMs !== null ? ` in ${m.collectMs} ms on the host` : ''}` : undefined],
    ]);
  }
}

function stripHost(reason: string, dest: string): string {
  return reason.startsWith(`${dest}: `) ? reason.slice(dest.length + 2) : reason;
}
