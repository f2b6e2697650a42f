/**
 * The extension side of the bridge form: one webview panel per host, a strict-CSP shell, and the
 * message loop. The webview only ever sends a draft; the plan is made here by the real planner,
 * from the host's current model, both for the live preview and again on Apply.
 */
import { randomBytes } from 'node:crypto';
import * as vscode from 'vscode';
import { dhcpClient } from '../core/ops/dhcp';
import { planToScript } from '../core/ops/plan';
import { applyWithProgress, currentModel } from '../commands/planFlow';
import { canGuard, reportOutcome } from '../commands/applyPlan';
import { Cancelled, type CommandContext } from '../commands/context';
import { confirmPlan } from '../commands/confirm';
import { hostLabel } from '../commands/pickHost';
import { linkFacts, freeInterfaces, uplinkCandidates } from '../commands/pickBridge';
import { persistenceChoices } from '../commands/persistChoice';
import { rollbackSeconds } from '../commands/rollback';
import type { HostSession } from '../hosts/session';
import { readSettings } from '../hosts/settings';
import { forwardDelayOf } from './checks';
import { planDraft, planResult } from './planDraft';
import { isFormRequest, type Draft, type FormRequest, type FormUpdate, type Outcome } from './protocol';

export const FORM_VIEW_TYPE = 'virtnet.bridgeForm';

const open = new Map<string, BridgeForm>();

/** Opens (or brings forward) the form for `session`, with `preset` filled in. */
export async function openBridgeForm(ctx: CommandContext, session: HostSession, preset: Partial<Draft>): Promise<void> {
  const model = await currentModel(ctx, session);
  const existing = open.get(session.dest);
  if (existing) existing.show(preset);
  else {
    // A new form starts from `virtnet.persistence`: "save" preselects the host's own manager.
    const manager = model.info.networkManager;
    const persist = readSettings().persistence === 'save' && manager !== 'none' ? { persist: manager } : {};
    open.set(session.dest, new BridgeForm(ctx, session, { ...persist, ...preset }));
  }
}

/**
 * Brings forms back after a window reload: VS Code hands over the panel and the webview's saved
 * state (its host and draft); the form reopens on that host, and the webview restores the draft
 * itself. A host no longer configured closes the panel with a message instead.
 */
export function registerFormRestore(ctx: CommandContext): vscode.Disposable {
  return vscode.window.registerWebviewPanelSerializer(FORM_VIEW_TYPE, {
    async deserializeWebviewPanel(panel: vscode.WebviewPanel, state: unknown) {
      const dest = typeof state === 'object' && state !== null && typeof (state as { host?: unknown }).host === 'string' ? (state as { host: string }).host : undefined;
      const session = dest !== undefined ? ctx.registry.find(dest) : undefined;
      if (!session || open.has(session.dest)) {
        panel.dispose();
        if (dest !== undefined && !session) void vscode.window.showInformationMessage(`VirtNet: the bridge form for ${dest} was closed: that host is no longer in virtnet.hosts.`);
        return;
      }
      open.set(session.dest, new BridgeForm(ctx, session, {}, panel));
      // The form needs the host's model for its lists and plans; it sends them once read.
      await currentModel(ctx, session).catch(() => undefined);
    },
  });
}

/** The open forms, for tests: which hosts have one. */
export function openForms(): string[] {
  return [...open.keys()];
}

class BridgeForm {
  private readonly panel: vscode.WebviewPanel;
  private readonly subscriptions: vscode.Disposable[] = [];
  /** Fields to fill in with the next `init`; cleared once sent. */
  private preset: Partial<Draft>;
  /** The last plan shown for each draft seq, so Apply runs exactly what was previewed. */
  private lastPreview: { seq: number; json: string; now: Date } | undefined;
  private applying: AbortController | undefined;

  constructor(
    private readonly ctx: CommandContext,
    private readonly session: HostSession,
    preset: Partial<Draft>,
    /** A panel VS Code restored after a reload; a new one otherwise. */
    restored?: vscode.WebviewPanel,
  ) {
    this.preset = preset;
    const root = ctx.extensionUri;
    const options: vscode.WebviewOptions = {
      enableScripts: true,
      // Only the bundled webview code and its stylesheet can be loaded.
      localResourceRoots: [vscode.Uri.joinPath(root, 'dist', 'webview'), vscode.Uri.joinPath(root, 'media', 'webview')],
    };
    if (restored) {
      this.panel = restored;
      this.panel.webview.options = options;
    } else {
      this.panel = vscode.window.createWebviewPanel(FORM_VIEW_TYPE, this.title(preset.mode ?? 'create'), vscode.ViewColumn.Active, options);
    }
    this.panel.webview.html = this.html();
    this.subscriptions.push(
      this.panel.webview.onDidReceiveMessage((m: unknown) => void this.receive(m)),
      this.panel.onDidDispose(() => this.dispose()),
      // A refresh (ours after Apply, or anyone's) brings new interface lists and a new preview.
      session.onDidChange((s) => {
        if (s.state.kind === 'ready') this.sendInit();
      }),
    );
    ctx.log.debug(`[${session.dest}] bridge form opened`);
  }

  private title(mode: string): string {
    return `${mode === 'uplink' ? 'Bridge My Uplink' : 'Create Bridge'}: ${hostLabel(this.session)}`;
  }

  show(preset: Partial<Draft>): void {
    this.preset = preset;
    this.panel.reveal();
    this.sendInit();
  }

  private post(msg: FormUpdate): void {
    void this.panel.webview.postMessage(msg);
  }

  private sendInit(): void {
    const model = this.session.model;
    if (!model) return;
    const preset = this.preset;
    this.preset = {};
    if (preset.mode) this.panel.title = this.title(preset.mode);
    // The client the planner would run, so the form never offers one it would refuse.
    const dhcp = dhcpClient(model);
    this.post({
      type: 'init',
      host: { dest: this.session.dest, label: hostLabel(this.session) },
      ports: freeInterfaces(model).map((l) => ({ name: l.name, detail: linkFacts(l) })),
      nics: uplinkCandidates(model).map((l) => ({ name: l.name, detail: linkFacts(l) })),
      taken: model.links.map((l) => l.name),
      dhcpClient: dhcp,
      persistOptions: persistenceChoices(model),
      preset,
    });
  }

  private async receive(raw: unknown): Promise<void> {
    if (!isFormRequest(raw)) {
      this.ctx.log.warn(`[${this.session.dest}] bridge form: ignored a message outside the protocol: ${JSON.stringify(raw)?.slice(0, 200)}`);
      return;
    }
    const msg: FormRequest = raw;
    switch (msg.type) {
      case 'ready':
        this.sendInit();
        break;
      case 'draft':
        this.preview(msg.seq, msg.draft);
        break;
      case 'copyScript':
        await this.copyScript(msg.draft);
        break;
      case 'apply':
        await this.apply(msg.seq, msg.draft);
        break;
      case 'cancel':
        this.applying?.abort();
        break;
    }
  }

  private preview(seq: number, draft: Draft): void {
    const model = this.session.model;
    if (!model) return;
    const now = new Date();
    const result = planResult(model, draft, now);
    this.lastPreview = { seq, json: JSON.stringify(result), now };
    this.post({ type: 'plan', seq, result });
  }

  private async copyScript(draft: Draft): Promise<void> {
    const model = this.session.model;
    if (!model) return;
    const now = new Date();
    const r = planResult(model, draft, now);
    if (!r.ok) return;
    await vscode.env.clipboard.writeText(planToScript(planDraft(model, draft, now).plan));
    this.ctx.log.info(`[${this.session.dest}] copied "${r.plan.title}" as a script; nothing ran`);
    void vscode.window.showInformationMessage(`VirtNet: "${r.plan.title}" copied as a shell script; nothing ran.`);
  }

  private async apply(seq: number, draft: Draft): Promise<void> {
    const model = this.session.model;
    const finish = (outcome: Outcome) => this.post({ type: 'result', outcome });
    if (!model || this.applying) return finish({ kind: 'error', message: this.applying ? 'A change is already being applied.' : 'The host has not been read.', detail: '' });
    // Re-planned with the preview's time stamp, so the backups are named as the preview showed.
    const now = this.lastPreview?.seq === seq ? this.lastPreview.now : new Date();
    const result = planResult(model, draft, now);
    // What runs must be what the form showed: a host refreshed in between means a new preview.
    if (!this.lastPreview || this.lastPreview.seq !== seq || this.lastPreview.json !== JSON.stringify(result)) {
      this.post({ type: 'plan', seq, result });
      this.lastPreview = { seq, json: JSON.stringify(result), now };
      return finish({ kind: 'error', message: 'The host changed since this preview: check the updated plan, then Apply again.', detail: '' });
    }
    if (!result.ok) return finish({ kind: 'error', message: 'Refused, nothing ran.', detail: result.problems.join('\n') });
    const { plan } = planDraft(model, draft, now);
    const seconds = rollbackSeconds({ stp: draft.stp, forwardDelay: forwardDelayOf(draft), dhcp: draft.mode === 'uplink' && draft.addressing === 'dhcp' });
    let mode;
    try {
      // The form's preview is the listing the user approved; only the guard choice needs asking.
      mode = await confirmPlan(this.ctx, this.session, plan, seconds, { skipIfSafe: true });
    } catch (err) {
      if (err instanceof Cancelled) return finish({ kind: 'cancelled', message: 'Not applied.', detail: '' });
      throw err;
    }
    if (!mode) return finish({ kind: 'cancelled', message: 'Not applied: the plan was copied as a script.', detail: '' });
    this.applying = new AbortController();
    this.post({ type: 'applying', title: plan.title, guarded: mode === 'guarded' });
    try {
      const outcome = await applyWithProgress(this.ctx, this.session, plan, mode, seconds, this.applying.signal);
      reportOutcome(this.ctx, this.session, outcome);
      finish(outcome);
      this.ctx.log.debug(`[${this.session.dest}] form apply: ${outcome.kind}${canGuard(this.ctx, this.session) ? '' : ' (no guard possible on this host)'}`);
    } finally {
      this.applying = undefined;
    }
    await this.ctx.refreshHost(this.session);
  }

  private html(): string {
    const webview = this.panel.webview;
    const nonce = randomBytes(16).toString('base64');
    const script = webview.asWebviewUri(vscode.Uri.joinPath(this.ctx.extensionUri, 'dist', 'webview', 'bridgeForm.js'));
    const style = webview.asWebviewUri(vscode.Uri.joinPath(this.ctx.extensionUri, 'media', 'webview', 'form.css'));
    // Components style themselves through constructed stylesheets (allowed by style-src below);
    // nothing inline, nothing from elsewhere.
    const csp = [`default-src 'none'`, `style-src ${webview.cspSource} 'nonce-${nonce}'`, `script-src 'nonce-${nonce}'`, `font-src ${webview.cspSource}`, `img-src ${webview.cspSource}`].join('; ');
    return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link rel="stylesheet" href="${style}" nonce="${nonce}">
<title>VirtNet bridge form</title>
</head>
<body>
<main id="app"><p>Loading…</p></main>
<script nonce="${nonce}" src="${script}"></script>
</body>
</html>`;
  }

  private dispose(): void {
    this.applying?.abort();
    open.delete(this.session.dest);
    for (const d of this.subscriptions) d.dispose();
    this.ctx.log.debug(`[${this.session.dest}] bridge form closed`);
  }
}
