/**
 * The extension side of every form: one webview panel per host and form, a strict-CSP shell, the
 * message loop, and the preview/apply reconciliation. The webview only ever sends a draft; the
 * plan is made here by the real planner, from the host's current model, both for the live preview
 * and again on Apply, and Apply runs only what the last preview showed. A form is a
 * FormDefinition: its draft, the data it draws from, and how a draft becomes a change.
 */
import { randomBytes } from 'node:crypto';
import * as vscode from 'vscode';
import type { HostModel } from '../core/model/types';
import type { Change } from '../core/ops/change';
import { planToScript } from '../core/ops/plan';
import { confirmPlan } from '../flow/confirm';
import { Cancelled, type CommandContext } from '../flow/context';
import { reportOutcome } from '../flow/execute';
import { hostLabel } from '../flow/hosts';
import type { Outcome } from '../flow/outcome';
import { persistenceChoices } from '../flow/persistChoice';
import { applyWithProgress, currentModel } from '../flow/planFlow';
import { rollbackSeconds } from '../flow/rollback';
import type { HostSession } from '../hosts/session';
import { planResultOf } from './planView';
import { isFormRequest, type FormRequest, type FormUpdate } from './protocol';

export interface FormDefinition<D, I> {
  /** The webview panel type (and the serializer's key). */
  viewType: string;
  /** The webview bundle, under dist/webview/. */
  script: string;
  title(mode: string, host: string): string;
  isDraft(v: unknown): v is D;
  /** What the form draws from, out of the host's model. */
  data(model: HostModel): I;
  /** Fields a new panel starts with (from settings), before the command's preset. */
  initial?(model: HostModel): Partial<D>;
  /** The change a draft stands for; throws PlanInputError with every problem. */
  plan(model: HostModel, draft: D, now: Date): Change;
}

/** Open panels, by form and host, so a second "open" brings the first forward. */
const open = new Map<string, FormPanel<unknown, unknown>>();
const key = (viewType: string, dest: string) => `${viewType}\n${dest}`;

/** Opens (or brings forward) `def`'s form for `session`, with `preset` filled in. */
export async function openFormPanel<D, I>(def: FormDefinition<D, I>, ctx: CommandContext, session: HostSession, preset: Partial<D>): Promise<void> {
  const model = await currentModel(ctx, session);
  const existing = open.get(key(def.viewType, session.dest)) as FormPanel<D, I> | undefined;
  if (existing) existing.show(preset);
  else
    open.set(key(def.viewType, session.dest), new FormPanel(def, ctx, session, { ...(def.initial?.(model) ?? {}), ...preset }) as FormPanel<unknown, unknown>);
}

/**
 * Brings `def`'s forms back after a window reload: VS Code hands over the panel and the webview's
 * saved state (its host and draft); the form reopens on that host, and the webview restores the
 * draft itself. A host no longer configured closes the panel with a message instead.
 */
export function registerFormPanelRestore<D, I>(def: FormDefinition<D, I>, ctx: CommandContext, what: string): vscode.Disposable {
  return vscode.window.registerWebviewPanelSerializer(def.viewType, {
    async deserializeWebviewPanel(panel: vscode.WebviewPanel, state: unknown) {
      const dest =
        typeof state === 'object' && state !== null && typeof (state as { host?: unknown }).host === 'string' ? (state as { host: string }).host : undefined;
      const session = dest !== undefined ? ctx.registry.find(dest) : undefined;
      if (!session || open.has(key(def.viewType, session.dest))) {
        panel.dispose();
        if (dest !== undefined && !session)
          void vscode.window.showInformationMessage(`VirtNet: the ${what} for ${dest} was closed: that host is no longer in virtnet.hosts.`);
        return;
      }
      open.set(key(def.viewType, session.dest), new FormPanel(def, ctx, session, {}, panel) as FormPanel<unknown, unknown>);
      // The form needs the host's model for its lists and plans; it sends them once read.
      await currentModel(ctx, session).catch(() => undefined);
    },
  });
}

/** The hosts with an open form of `viewType`, for tests. */
export function openFormHosts(viewType: string): string[] {
  return [...open.keys()].filter((k) => k.startsWith(`${viewType}\n`)).map((k) => k.slice(viewType.length + 1));
}

class FormPanel<D, I> {
  private readonly panel: vscode.WebviewPanel;
  private readonly subscriptions: vscode.Disposable[] = [];
  /** Fields to fill in with the next `init`; cleared once sent. */
  private preset: Partial<D>;
  /** The last plan shown for each draft seq, so Apply runs exactly what was previewed. */
  private lastPreview: { seq: number; json: string; now: Date } | undefined;
  private applying: AbortController | undefined;

  constructor(
    private readonly def: FormDefinition<D, I>,
    private readonly ctx: CommandContext,
    private readonly session: HostSession,
    preset: Partial<D>,
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
      this.panel = vscode.window.createWebviewPanel(def.viewType, this.title(this.modeOf(preset)), vscode.ViewColumn.Active, options);
    }
    this.panel.webview.html = this.html();
    this.subscriptions.push(
      this.panel.webview.onDidReceiveMessage((m: unknown) => void this.receive(m)),
      this.panel.onDidDispose(() => this.dispose()),
      // A refresh (ours after Apply, or anyone's) brings new lists and a new preview.
      session.onDidChange((s) => {
        if (s.state.kind === 'ready') this.sendInit();
      }),
    );
    ctx.log.debug(`[${session.dest}] ${def.viewType} opened`);
  }

  private modeOf(d: Partial<D>): string {
    const m = (d as { mode?: unknown }).mode;
    return typeof m === 'string' ? m : '';
  }

  private title(mode: string): string {
    return this.def.title(mode, hostLabel(this.session));
  }

  show(preset: Partial<D>): void {
    this.preset = preset;
    this.panel.reveal();
    this.sendInit();
  }

  private post(msg: FormUpdate<D, I>): void {
    void this.panel.webview.postMessage(msg);
  }

  private sendInit(): void {
    const model = this.session.model;
    if (!model) return;
    const preset = this.preset;
    this.preset = {};
    const mode = this.modeOf(preset);
    if (mode) this.panel.title = this.title(mode);
    this.post({
      type: 'init',
      host: { dest: this.session.dest, label: hostLabel(this.session) },
      data: this.def.data(model),
      persistOptions: persistenceChoices(model),
      preset,
    });
  }

  private async receive(raw: unknown): Promise<void> {
    if (!isFormRequest(raw, (d): d is D => this.def.isDraft(d))) {
      this.ctx.log.warn(`[${this.session.dest}] ${this.def.viewType}: ignored a message outside the protocol: ${JSON.stringify(raw)?.slice(0, 200)}`);
      return;
    }
    const msg: FormRequest<D> = raw;
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

  private result(model: HostModel, draft: D, now: Date) {
    return planResultOf(() => this.def.plan(model, draft, now));
  }

  private preview(seq: number, draft: D): void {
    const model = this.session.model;
    if (!model) return;
    const now = new Date();
    const result = this.result(model, draft, now);
    this.lastPreview = { seq, json: JSON.stringify(result), now };
    this.post({ type: 'plan', seq, result });
  }

  private async copyScript(draft: D): Promise<void> {
    const model = this.session.model;
    if (!model) return;
    const now = new Date();
    const r = this.result(model, draft, now);
    if (!r.ok) return;
    await vscode.env.clipboard.writeText(planToScript(this.def.plan(model, draft, now).plan));
    this.ctx.log.info(`[${this.session.dest}] copied "${r.plan.title}" as a script; nothing ran`);
    void vscode.window.showInformationMessage(`VirtNet: "${r.plan.title}" copied as a shell script; nothing ran.`);
  }

  private async apply(seq: number, draft: D): Promise<void> {
    const model = this.session.model;
    const finish = (outcome: Outcome) => this.post({ type: 'result', outcome });
    if (!model || this.applying)
      return finish({ kind: 'error', message: this.applying ? 'A change is already being applied.' : 'The host has not been read.', detail: '' });
    // Re-planned with the preview's time stamp, so the backups are named as the preview showed.
    const now = this.lastPreview?.seq === seq ? this.lastPreview.now : new Date();
    const result = this.result(model, draft, now);
    // What runs must be what the form showed: a host refreshed in between means a new preview.
    if (!this.lastPreview || this.lastPreview.seq !== seq || this.lastPreview.json !== JSON.stringify(result)) {
      this.post({ type: 'plan', seq, result });
      this.lastPreview = { seq, json: JSON.stringify(result), now };
      return finish({ kind: 'error', message: 'The host changed since this preview: check the updated plan, then Apply again.', detail: '' });
    }
    if (!result.ok) return finish({ kind: 'error', message: 'Refused, nothing ran.', detail: result.problems.join('\n') });
    const { plan } = this.def.plan(model, draft, now);
    const seconds = rollbackSeconds(plan.settle);
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
    } finally {
      this.applying = undefined;
    }
    await this.ctx.refreshHost(this.session);
  }

  private html(): string {
    const webview = this.panel.webview;
    const nonce = randomBytes(16).toString('base64');
    const script = webview.asWebviewUri(vscode.Uri.joinPath(this.ctx.extensionUri, 'dist', 'webview', this.def.script));
    const style = webview.asWebviewUri(vscode.Uri.joinPath(this.ctx.extensionUri, 'media', 'webview', 'form.css'));
    // Components style themselves through constructed stylesheets (allowed by style-src below);
    // nothing inline, nothing from elsewhere.
    const csp = [
      `default-src 'none'`,
      `style-src ${webview.cspSource} 'nonce-${nonce}'`,
      `script-src 'nonce-${nonce}'`,
      `font-src ${webview.cspSource}`,
      `img-src ${webview.cspSource}`,
    ].join('; ');
    return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link rel="stylesheet" href="${style}" nonce="${nonce}">
<title>VirtNet</title>
</head>
<body>
<main id="app"><p>Loading…</p></main>
<script nonce="${nonce}" src="${script}"></script>
</body>
</html>`;
  }

  private dispose(): void {
    this.applying?.abort();
    open.delete(key(this.def.viewType, this.session.dest));
    for (const d of this.subscriptions) d.dispose();
    this.ctx.log.debug(`[${this.session.dest}] ${this.def.viewType} closed`);
  }
}
