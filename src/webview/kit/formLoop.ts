/**
 * The loop every form's webview runs: the ready handshake, a draft sent shortly after each
 * change (one request per pause, not per key), the preview for the current draft only, Apply
 * enabled only when the field checks pass and the extension's plan for this very draft is good,
 * progress and Cancel while applying, the outcome, the draft kept across reloads. Everything from
 * the extension is checked with the shared protocol guards before use.
 */
import { isFormUpdate, type FormUpdate, type Outcome, type PlanResult } from '../../forms/protocol';
import { $, h, type ButtonEl } from './dom';
import { drawOutcome } from './outcome';
import { renderPreview } from './planPreview';
import { vscodeApi, type SavedState } from './vscodeApi';

export type InitOf<D, I> = Extract<FormUpdate<D, I>, { type: 'init' }>;

export interface FormHooks<D, I> {
  isDraft(v: unknown): v is D;
  isData(v: unknown): v is I;
  /** The draft after a successful apply (a fresh one in the same mode). */
  afterApply(draft: D): D;
  /** Builds the whole form (calling loop.actions() for the buttons and loop.previewBox()). */
  render(): void;
  /** New lists after a refresh, without disturbing what the user typed. */
  refreshLists(): void;
  /** Field visibility and each field's error. */
  showFields(): void;
  /** The field checks that run here, as the user types (the extension runs them again). */
  problems(): Record<string, string>;
}

export class FormLoop<D, I> {
  readonly api = vscodeApi<D>();
  init: InitOf<D, I> | undefined;
  draft: D;
  private seq = 0;
  /** The extension's answer for the current draft; null while it is being computed. */
  private planned: { seq: number; result: PlanResult } | null = null;
  private busy = false;
  /** The last apply's outcome, kept on screen when the form is rebuilt. */
  private lastOutcome: Outcome | undefined;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private hooks!: FormHooks<D, I>;

  constructor(initial: D) {
    this.draft = initial;
  }

  start(hooks: FormHooks<D, I>): void {
    this.hooks = hooks;
    window.addEventListener('message', (e: MessageEvent) => {
      if (!isFormUpdate<D, I>(e.data, hooks.isData)) {
        console.warn('virtnet form: ignored a message that is not part of the protocol', e.data);
        return;
      }
      this.receive(e.data);
    });
    this.api.postMessage({ type: 'ready' });
  }

  /** The draft changed: save it, re-check the fields now, ask for a new plan shortly. */
  changed(): void {
    this.api.setState({ host: this.init!.host.dest, draft: this.draft });
    this.seq++;
    this.planned = null;
    this.update();
    if (this.timer) clearTimeout(this.timer);
    const seq = this.seq;
    this.timer = setTimeout(() => this.api.postMessage({ type: 'draft', seq, draft: this.draft }), 120);
  }

  set(patch: Partial<D>): void {
    this.draft = { ...this.draft, ...patch };
    this.changed();
  }

  private planOk(): boolean {
    return this.planned?.seq === this.seq && this.planned.result.ok;
  }

  private canApply(): boolean {
    return !this.busy && Object.keys(this.hooks.problems()).length === 0 && this.planOk();
  }

  /** The preview section; its id is what the tests and the styles look for. */
  previewBox(): HTMLElement {
    return h('section', { class: 'preview', id: 'preview', 'aria-live': 'polite' });
  }

  /** Apply, Copy as Script, Cancel, the progress and the result, wired. */
  actions(): HTMLElement[] {
    const bar = h(
      'div',
      { class: 'actions' },
      h('vscode-button', { id: 'apply', disabled: true }, 'Apply'),
      h('vscode-button', { id: 'copy', secondary: true, disabled: true }, 'Copy as Script'),
      h('vscode-button', { id: 'cancel', secondary: true, hidden: true }, 'Cancel'),
      h('span', { id: 'progress', hidden: true }, h('vscode-progress-ring'), h('span', { id: 'progress-text' })),
    );
    const result = h('section', { id: 'result', hidden: true, role: 'status' });
    bar.querySelector('#apply')!.addEventListener('click', () => {
      if (!this.canApply()) return;
      this.busy = true;
      this.api.postMessage({ type: 'apply', seq: this.seq, draft: this.draft });
      this.progress('Waiting for your confirmation…');
      this.update();
    });
    bar.querySelector('#copy')!.addEventListener('click', () => {
      if (this.planOk()) this.api.postMessage({ type: 'copyScript', draft: this.draft });
    });
    bar.querySelector('#cancel')!.addEventListener('click', () => this.api.postMessage({ type: 'cancel' }));
    return [bar, result];
  }

  /** Shows the state of everything: fields, the preview, the buttons. */
  update(): void {
    if (!this.init) return;
    this.hooks.showFields();
    const local = Object.keys(this.hooks.problems()).length > 0;
    renderPreview(
      $('preview'),
      local ? { kind: 'incomplete' } : !this.planned || this.planned.seq !== this.seq ? { kind: 'planning' } : { kind: 'planned', result: this.planned.result },
    );
    $<ButtonEl>('apply').disabled = !this.canApply();
    $<ButtonEl>('copy').disabled = this.busy || !this.planOk();
  }

  /** After a full render: the outcome stays, the state shows. */
  rendered(): void {
    drawOutcome($('result'), this.lastOutcome);
    this.update();
  }

  private progress(text: string | null): void {
    $('progress').hidden = text === null;
    $('progress-text').textContent = text ?? '';
  }

  private showResult(o: Outcome): void {
    this.busy = false;
    this.lastOutcome = o;
    if (o.kind === 'applied') {
      // Done: a fresh draft, rather than a form that now says its own bridge "already exists".
      this.draft = this.hooks.afterApply(this.draft);
      this.hooks.render();
      this.changed();
      return;
    }
    this.progress(null);
    $('cancel').hidden = true;
    drawOutcome($('result'), o);
    this.update();
  }

  private receive(msg: FormUpdate<D, I>): void {
    switch (msg.type) {
      case 'init': {
        const first = !this.init;
        this.init = msg;
        const saved = this.api.getState() as Partial<SavedState<D>> | undefined;
        const base = first && saved?.host === msg.host.dest && this.hooks.isDraft(saved.draft) ? saved.draft : this.draft;
        this.draft = { ...base, ...msg.preset };
        if (first || Object.keys(msg.preset).length > 0) this.hooks.render();
        else this.hooks.refreshLists();
        this.changed();
        break;
      }
      case 'plan':
        if (msg.seq !== this.seq) return; // an answer to a draft the user has already changed
        this.planned = { seq: msg.seq, result: msg.result };
        this.update();
        break;
      case 'applying':
        this.lastOutcome = undefined;
        drawOutcome($('result'), undefined);
        this.progress(msg.guarded ? `Applying ${msg.title} under the rollback guard…` : `Applying ${msg.title}…`);
        $('cancel').hidden = msg.guarded;
        break;
      case 'result':
        this.showResult(msg.outcome);
        break;
    }
  }
}
